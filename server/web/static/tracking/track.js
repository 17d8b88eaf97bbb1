// The visitor's tracking page follows its ticket on the hub's event stream (anonymous
// EventSource): an event about this ticket swaps in the page's changing part at once; other
// tickets' events (people ahead, estimates) at most every 10 s: a hall of phones reading their
// page on every call would be hundreds of requests a second. No reload, so a screen
// reader keeps its place. Called: a tone and a vibration, where the browser lets the page.
// A refused stream (503: too many anonymous ones) falls back to reading every 20 s.
// While the hub cannot be reached the page says so, in place of "this page follows your turn".
"use strict";
(function () {
  const body = document.body;
  const code = body.dataset.code, lang = body.dataset.lang, ticket = Number(body.dataset.ticket);
  const live = document.getElementById("live");
  // served through HQ's relay (issue 18) the page lives under /b/<branch>/ and has no event stream: it reads
  const liveUrl = body.dataset.live || "/t/" + encodeURIComponent(code) + "/live", relayed = !!body.dataset.relayed;
  const LIVE_STATES = ["waiting", "called", "serving", "remote"];
  const OTHERS_MS = 10000, POLL_MS = 20000, RETRY_MS = 30000;
  const stateOf = (root) => { const s = root.querySelector("[data-state]"); return s ? s.dataset.state : null; };
  const S = { state: stateOf(live), updates: 0, alerts: 0, source: null, following: true, online: true,
    comeNow: !!live.querySelector("[data-come-now]") };
  const followNote = document.getElementById("follow-note"), lostNote = document.getElementById("lost-note");
  window.navbatTrack = S; // for tests
  let audio = null, othersTimer = null, pollTimer = null;

  function reached(ok) {
    S.online = ok;
    if (followNote) followNote.hidden = !ok || !S.following;
    if (lostNote) lostNote.hidden = ok || !S.following;
  }

  async function update() {
    let r;
    try {
      r = await fetch(liveUrl + "?lang=" + lang, { cache: "no-store" });
    } catch (e) { reached(false); return; }
    if (!r.ok) { reached(r.status < 500); return; }
    reached(true);
    const part = new DOMParser().parseFromString(await r.text(), "text/html").body;
    const next = stateOf(part);
    const comeNow = !!part.querySelector("[data-come-now]"); // a remote turn told to come now (issue 18 A)
    live.replaceChildren(...part.childNodes);
    S.updates++;
    if (next === "called" && S.state !== "called") alertCalled();
    else if (comeNow && !S.comeNow) alertCalled();
    S.comeNow = comeNow;
    S.state = next;
    if (!LIVE_STATES.includes(next)) stop();
  }

  function alertCalled() {
    S.alerts++;
    document.title = "🔔 " + document.title.replace(/^🔔 /, "");
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
    if (!audio) return; // no tap yet: a browser keeps a page silent until its visitor touches it
    const t = audio.currentTime;
    for (const [start, freq] of [[0, 880], [0.35, 660], [0.7, 880]]) {
      const o = audio.createOscillator(), g = audio.createGain();
      o.frequency.value = freq;
      g.gain.setValueAtTime(0.25, t + start);
      g.gain.exponentialRampToValueAtTime(0.001, t + start + 0.3);
      o.connect(g).connect(audio.destination);
      o.start(t + start);
      o.stop(t + start + 0.32);
    }
  }

  const sound = document.getElementById("sound");
  if (sound) {
    sound.addEventListener("click", () => {
      const Ctx = window.AudioContext || window.webkitAudioContext;
      if (!Ctx) return;
      audio = audio || new Ctx();
      audio.resume();
      sound.setAttribute("aria-pressed", "true");
    });
  }

  function stop() {
    S.following = false;
    if (S.source) S.source.close();
    clearInterval(pollTimer);
    for (const id of ["sound", "follow-note", "lost-note"]) { const el = document.getElementById(id); if (el) el.hidden = true; }
  }

  function follow() {
    const source = (S.source = new EventSource("/api/v1/events"));
    const mine = (ev) => { try { return JSON.parse(ev.data).ticket === ticket; } catch (e) { return false; } };
    const { EVENTS } = Navbat; // shared/navbat.js
    for (const type of [...Navbat.FLOOR_EVENTS, EVENTS.TICKET_CHECKED_IN, EVENTS.TICKET_PASSED_OVER, EVENTS.QUEUE_CHANGED]) {
      source.addEventListener(type, (ev) => {
        if (mine(ev)) { clearTimeout(othersTimer); othersTimer = null; update(); return; }
        if (!othersTimer) othersTimer = setTimeout(() => { othersTimer = null; update(); }, OTHERS_MS);
      });
    }
    source.onopen = () => { clearInterval(pollTimer); pollTimer = null; update(); }; // catch up after a gap
    source.onerror = () => {
      if (S.following) update(); // the stream broke: is the hub still there? (says so if not)
      if (source.readyState !== 2 || !S.following) return; // EventSource retries by itself unless refused
      if (!pollTimer) pollTimer = setInterval(update, POLL_MS);
      setTimeout(() => { if (S.following && S.source === source) follow(); }, RETRY_MS);
    };
  }

  if (LIVE_STATES.includes(S.state)) {
    if (relayed) pollTimer = setInterval(update, POLL_MS);
    else follow();
  }
})();
