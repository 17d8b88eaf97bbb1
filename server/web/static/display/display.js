// The web wall display: calls from the hub's event stream, spoken one after another.
// Plain browser JavaScript, no build step; EventSource resends Last-Event-ID by itself.
// Waiting counts and waits per unit are the hub's (UnitSummary), the wait already in words
// (`wait_text`, foundation/wording.py): from GET /services at the start and after a reconnect,
// then from what moved, each event's and queue.changed's "changes" (asked for with ?changes=1,
// applied by changes.js; queue.changed is sent without an id, so Last-Event-ID stays put). Only an
// event without them (replayed from the log after a reconnect) makes the page re-read /services,
// once for a burst. How many
// earlier calls it lists and how old a call it still speaks are the hub's too (foundation/wall.py).
"use strict";
(function () {
  const { digits, inLang, el, pageData, EVENTS } = Navbat;  // shared/navbat.js
  const lang = document.body.dataset.lang;
  const voice = document.body.dataset.voice;
  const t = Navbat.translator(pageData("texts"));
  const WALL = pageData("wall"); // {history, announce_within_s}
  const HISTORY = WALL.history;
  const $ = (id) => document.getElementById(id);
  const counterText = (n) => t("Counter {number}", { number: digits(n, lang) });
  const ARROWS = pageData("arrows"); // counter -> arrow, or none

  // units: the hub's UnitSummary list, in the branch's order; requests: /services reads made
  const state = { calls: [], units: [], online: false, announced: [], played: [], requests: 0, lastId: null };
  window.navbatDisplay = state; // for tests and for a curious technician's console

  // The display's device token, given once as /display?token=… and kept in localStorage; it
  // leaves the address bar at once. EventSource cannot send headers, so the stream gets it as
  // ?token=: with it the hub keeps this display a slot anonymous subscribers cannot take.
  const TOKEN_KEY = "navbat.display.token";
  Navbat.keepDeviceToken(TOKEN_KEY);
  const RETRY_MS = 30000; // a refused stream (503, Retry-After 30) is not retried by EventSource itself
  const api = Navbat.client(); // the public API: the wall reads what anyone may

  // ---- what is shown ------------------------------------------------------------
  function render() {
    const [current, ...previous] = state.calls;
    $("now").classList.toggle("has-call", !!current);
    $("now-number").textContent = current ? digits(current.number, lang) : "";
    $("now-counter").textContent = current ? counterText(current.counter) : "";
    $("arrow").textContent = current ? ARROWS[current.counter] || "" : "";
    // offline: the whole screen says so, and the big number is marked as the last one known
    document.body.classList.toggle("offline", !state.online);
    $("now-label").textContent = !current ? t("Please take a ticket from the kiosk")
      : state.online ? t("Now calling") : t("Last number called before the connection was lost");
    $("previous").replaceChildren(...previous.map((c) => el("li", { "data-ticket": c.ticket },
      el("span", { class: "n" }, digits(c.number, lang)), el("span", {}, counterText(c.counter)))));
    renderUnits();
    $("offline").hidden = state.online;
  }

  function renderUnits() {
    $("units").replaceChildren(...state.units.filter((u) => u.services.length).map((u) => el("div",
      { class: "unit", "data-unit": u.code },
      el("div", { class: "name" }, inLang(u.name, lang)),
      el("div", { class: "waiting" }, t("{count} waiting", { count: digits(u.waiting, lang) })),
      el("div", { class: "estimate" }, inLang(u.wait_text, lang))))); // the hub's words for the wait
  }

  let flashTimer = null;
  function flash() {
    $("now").classList.add("flash");
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => $("now").classList.remove("flash"), 4000);
  }

  // ---- the voice: one announcement at a time ----------------------------------------
  const queue = [];
  let speaking = false;
  let soundAllowed = true; // a TV in kiosk mode autoplays; a desktop browser needs one click
  function announce(call) {
    state.announced.push({ number: call.number, counter: call.counter });
    if (!voice) return;
    queue.push("/display/announce.wav?" + new URLSearchParams({ number: call.number, counter: call.counter, voice }));
    playNext();
  }
  function playNext() {
    if (speaking || !queue.length || !soundAllowed) return;
    speaking = true;
    const url = queue.shift();
    const audio = new Audio(url);
    const done = () => { speaking = false; state.played.push(url); playNext(); };
    audio.addEventListener("ended", done, { once: true });
    audio.addEventListener("error", done, { once: true });
    audio.play().catch(() => { // autoplay refused: keep the call queued, ask for a click
      speaking = false;
      soundAllowed = false;
      queue.unshift(url);
      $("sound").hidden = false;
    });
  }
  $("sound").hidden = true;
  $("sound").addEventListener("click", () => { soundAllowed = true; $("sound").hidden = true; playNext(); });

  // ---- live data ----------------------------------------------------------------------
  async function readQueue() {
    state.requests += 1;
    return api("GET", "/services");
  }

  // A whole summary comes in here: `whole` (GET /services) replaces what is known; otherwise (an
  // event's "queue", from a hub that sends the full form) only the units it names change.
  function takeSummary(queue, whole) {
    if (whole) {
      state.units = queue.units || [];
    } else {
      const changed = Object.fromEntries((queue.units || []).map((u) => [u.code, u]));
      state.units = state.units.map((u) => changed[u.code] || u);
    }
    renderUnits();
  }

  let refreshTimer = null;
  function refreshQueue() { // a burst of events without "queue" makes one request
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      try { takeSummary(await readQueue(), true); } catch (e) { /* the next event retries */ }
    }, 200);
  }

  function onQueue(ev) { // every ticket.* and counter.changed event
    if (ev.changes) { state.units = window.applyUnitChanges(state.units, ev.changes); renderUnits(); }
    else if (ev.queue) takeSummary(ev.queue, false);
    else refreshQueue();
  }

  function onCall(ev, recall) {
    const old = state.calls.find((c) => c.ticket === ev.ticket);
    state.calls = [{ ticket: ev.ticket, number: ev.number, counter: ev.counter, recall },
      ...state.calls.filter((c) => c.ticket !== ev.ticket)].slice(0, HISTORY + 1);
    render();
    if (!ev.at || Date.now() - Date.parse(ev.at) <= WALL.announce_within_s * 1000) { // older: shown, not spoken
      flash();
      announce(ev);
    }
    return old;
  }

  function streamURL() {
    const params = new URLSearchParams();
    const token = localStorage.getItem(TOKEN_KEY);
    if (token) params.set("token", token);
    params.set("changes", "1"); // only what moved in the summaries it keeps (changes.js)
    if (state.lastId) params.set("last_event_id", state.lastId); // a new EventSource: resume by hand
    const query = params.toString();
    return "/api/v1/events" + (query ? "?" + query : "");
  }

  function connect() {
    const source = new EventSource(streamURL());
    source.onopen = () => { // back after an outage: queue.changed events are not replayed, so re-read
      state.online = true;
      render();
      if (state.loaded) refreshQueue();
    };
    source.onerror = () => { // EventSource retries with Last-Event-ID, unless the hub refused (503)
      state.online = false;
      render();
      if (source.readyState === 2) setTimeout(connect, RETRY_MS); // 2: EventSource.CLOSED
    };
    const on = (type, handle) => source.addEventListener(type, (m) => {
      if (m.lastEventId) state.lastId = m.lastEventId;
      handle(JSON.parse(m.data));
    });
    on(EVENTS.TICKET_CALLED, (ev) => { onCall(ev, false); onQueue(ev); });
    on(EVENTS.TICKET_RECALLED, (ev) => { onCall(ev, true); onQueue(ev); });
    // a ticket cancelled, or a call taken back at the counter (issue 24): the wall drops the call
    for (const type of [EVENTS.TICKET_CANCELLED, EVENTS.TICKET_UNCALLED]) {
      on(type, (ev) => {
        state.calls = state.calls.filter((c) => c.ticket !== ev.ticket);
        render();
        onQueue(ev);
      });
    }
    for (const type of [EVENTS.TICKET_ISSUED, EVENTS.TICKET_STARTED, EVENTS.TICKET_DONE, EVENTS.TICKET_NO_SHOW,
      EVENTS.TICKET_TRANSFERRED, EVENTS.COUNTER_CHANGED]) {
      on(type, onQueue);
    }
    on(EVENTS.QUEUE_CHANGED, onQueue);
  }

  async function load() {
    try {
      // the day's calls from the hub: a reload or a restart shows what was on the wall before
      const [queue, recent] = await Promise.all([readQueue(), api("GET", "/calls?limit=" + (HISTORY + 1))]);
      takeSummary(queue, true);
      const seeded = recent.calls.filter((c) => !state.calls.some((x) => x.ticket === c.ticket));
      state.calls = [...state.calls, ...seeded].slice(0, HISTORY + 1);
      render();
    } catch (e) {
      setTimeout(load, 3000);
      return;
    }
    state.loaded = true;
  }

  // The clock ticks here; the Jalali date comes from the hub (foundation.persian) every minute.
  async function clock() {
    try {
      const r = await fetch("/display/clock?lang=" + lang, { cache: "no-store" });
      const now = await r.json();
      $("date").textContent = now.date;
      $("clock").textContent = now.clock;
    } catch (e) { /* keep the last time shown */ }
  }
  setInterval(clock, 20000);
  connect(); // first, so nothing called while loading is missed
  load();
})();
