// The web wall display: calls from the hub's event stream, spoken one after another.
// Plain browser JavaScript, no build step; EventSource resends Last-Event-ID by itself.
// Waiting counts and estimates per unit are the hub's (UnitSummary): from GET /services at
// the start and after a reconnect, then from each event's "queue" and from "queue.changed"
// (sent without an id, so Last-Event-ID stays put). Only an event without "queue" (replayed
// from the log after a reconnect) makes the page re-read /services, once for a burst.
"use strict";
(function () {
  const lang = document.body.dataset.lang;
  const voice = document.body.dataset.voice;
  const T = JSON.parse(document.getElementById("texts").textContent);
  const HISTORY = 7;
  const ANNOUNCE_WITHIN_MS = 90000; // calls replayed after an outage are shown, not spoken
  const $ = (id) => document.getElementById(id);
  const fa = (v) => (lang === "fa" ? String(v).replace(/\d/g, (d) => "۰۱۲۳۴۵۶۷۸۹"[d]) : String(v));
  const fmt = (text, vals) => text.replace(/\{(\w+)\}/g, (_, k) => vals[k]);
  const counterText = (n) => fmt(T["Counter {number}"], { number: fa(n) });
  const ARROWS = JSON.parse(document.getElementById("arrows").textContent); // counter -> arrow, or none

  // How a wait is said: the same rules as foundation/wording.py wait_text (the page's TEXTS
  // carry its translated words).
  function waitText(estimate, note, waitNote, opensAt) {
    if (note === "not_served") return T["not served today"];
    if (waitNote === "before_opening" && opensAt) {
      return fmt(T["counters open at {time}: {wait}"], { time: fa(opensAt.slice(11, 16)), wait: waitText(estimate, null) });
    }
    if (waitNote === "no_open_window" || note === "not_open") return T["no counter open now"];
    if (note === "no_wait") return T["no wait"];
    if (!estimate || estimate.low == null || estimate.high == null) return T["no estimate yet"];
    const low = Math.round(estimate.low), high = Math.round(estimate.high);
    if (high <= 0) return T["no wait"];
    if (low === high) return fmt(T["about {minutes} min"], { minutes: fa(high) });
    return fmt(T["{low}–{high} min"], { low: fa(low), high: fa(high) });
  }

  // units: the hub's UnitSummary list, in the branch's order; requests: /services reads made
  const state = { calls: [], units: [], online: false, announced: [], played: [], requests: 0, lastId: null };
  window.navbatDisplay = state; // for tests and for a curious technician's console

  // The display's device token, given once as /display?token=… and kept in localStorage; it
  // leaves the address bar at once. EventSource cannot send headers, so the stream gets it as
  // ?token=: with it the hub keeps this display a slot anonymous subscribers cannot take.
  const TOKEN_KEY = "navbat.display.token";
  keepDeviceToken(TOKEN_KEY);  // shared/device_token.js
  const RETRY_MS = 30000; // a refused stream (503, Retry-After 30) is not retried by EventSource itself

  async function getJSON(path) {
    const r = await fetch("/api/v1" + path, { cache: "no-store" });
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }

  // ---- what is shown ------------------------------------------------------------
  function render() {
    const [current, ...previous] = state.calls;
    $("now").classList.toggle("has-call", !!current);
    $("now-number").textContent = current ? fa(current.number) : "";
    $("now-counter").textContent = current ? counterText(current.counter) : "";
    $("arrow").textContent = current ? ARROWS[current.counter] || "" : "";
    // offline: the whole screen says so, and the big number is marked as the last one known
    document.body.classList.toggle("offline", !state.online);
    $("now-label").textContent = !current ? T["Please take a ticket from the kiosk"]
      : state.online ? T["Now calling"] : T["Last number called before the connection was lost"];
    const ol = $("previous");
    ol.replaceChildren(...previous.map((c) => {
      const li = document.createElement("li");
      li.dataset.ticket = c.ticket;
      const n = document.createElement("span");
      n.className = "n";
      n.textContent = fa(c.number);
      const w = document.createElement("span");
      w.textContent = counterText(c.counter);
      li.append(n, w);
      return li;
    }));
    renderUnits();
    $("offline").hidden = state.online;
  }

  function renderUnits() {
    const boxes = state.units.filter((u) => u.services.length).map((u) => {
      const box = document.createElement("div");
      box.className = "unit";
      box.dataset.unit = u.code;
      for (const [cls, text] of [["name", u.name[lang] || u.name.fa],
        ["waiting", fmt(T["{count} waiting"], { count: fa(u.waiting) })],
        ["estimate", waitText(u.estimated_wait, u.note, u.wait_note, u.opens_at)]]) {
        const d = document.createElement("div");
        d.className = cls;
        d.textContent = text;
        box.append(d);
      }
      return box;
    });
    $("units").replaceChildren(...boxes);
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
    return getJSON("/services");
  }

  let refreshTimer = null;
  function refreshQueue() { // a burst of events without "queue" makes one request
    if (refreshTimer !== null) return;
    refreshTimer = setTimeout(async () => {
      refreshTimer = null;
      try { state.units = (await readQueue()).units; renderUnits(); } catch (e) { /* the next event retries */ }
    }, 200);
  }

  function mergeQueue(queue) { // the units an event touched; others stay as they are
    const changed = Object.fromEntries((queue.units || []).map((u) => [u.code, u]));
    state.units = state.units.map((u) => changed[u.code] || u);
    renderUnits();
  }

  function onQueue(ev) { // every ticket.* and counter.changed event
    if (ev.changes) { state.units = window.applyUnitChanges(state.units, ev.changes); renderUnits(); }
    else if (ev.queue) mergeQueue(ev.queue);
    else refreshQueue();
  }

  function onCall(ev, recall) {
    const old = state.calls.find((c) => c.ticket === ev.ticket);
    state.calls = [{ ticket: ev.ticket, number: ev.number, counter: ev.counter, recall },
      ...state.calls.filter((c) => c.ticket !== ev.ticket)].slice(0, HISTORY + 1);
    render();
    if (!ev.at || Date.now() - Date.parse(ev.at) <= ANNOUNCE_WITHIN_MS) {
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
    on("ticket.called", (ev) => { onCall(ev, false); onQueue(ev); });
    on("ticket.recalled", (ev) => { onCall(ev, true); onQueue(ev); });
    // a ticket cancelled, or a call taken back at the counter (issue 24): the wall drops the call
    for (const type of ["ticket.cancelled", "ticket.uncalled"]) {
      on(type, (ev) => {
        state.calls = state.calls.filter((c) => c.ticket !== ev.ticket);
        render();
        onQueue(ev);
      });
    }
    for (const type of ["ticket.issued", "ticket.started", "ticket.done", "ticket.no_show", "ticket.transferred",
      "counter.changed"]) {
      on(type, onQueue);
    }
    on("queue.changed", (ev) => onQueue(ev));
  }

  async function load() {
    try {
      // the day's calls from the hub: a reload or a restart shows what was on the wall before
      const [queue, recent] = await Promise.all([readQueue(), getJSON("/calls?limit=" + (HISTORY + 1))]);
      state.units = queue.units;
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
