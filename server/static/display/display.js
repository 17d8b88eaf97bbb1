// The web wall display: calls from the hub's event stream, spoken one after another.
// Plain browser JavaScript, no build step; EventSource resends Last-Event-ID by itself.
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
  const windowText = (n) => fmt(T["Window {number}"], { number: fa(n) });

  const state = { calls: [], units: [], services: [], online: false, announced: [], played: [] };
  window.navbatDisplay = state; // for tests and for a curious technician's console

  async function getJSON(path) {
    const r = await fetch("/api/v1" + path, { cache: "no-store" });
    if (!r.ok) throw new Error(path + ": HTTP " + r.status);
    return r.json();
  }

  // ---- what is shown ------------------------------------------------------------
  function render() {
    const [current, ...previous] = state.calls;
    $("now").classList.toggle("has-call", !!current);
    $("now-label").textContent = current ? T["Now calling"] : T["Please take a ticket from the kiosk"];
    $("now-number").textContent = current ? fa(current.number) : "";
    $("now-counter").textContent = current ? windowText(current.counter) : "";
    const ol = $("previous");
    ol.replaceChildren(...previous.map((c) => {
      const li = document.createElement("li");
      li.dataset.ticket = c.ticket;
      const n = document.createElement("span");
      n.className = "n";
      n.textContent = fa(c.number);
      const w = document.createElement("span");
      w.textContent = windowText(c.counter);
      li.append(n, w);
      return li;
    }));
    renderUnits();
    $("offline").hidden = state.online;
  }

  function renderUnits() {
    const byCode = Object.fromEntries(state.services.map((s) => [s.code, s]));
    const boxes = [];
    for (const u of state.units) {
      const svcs = u.services.map((c) => byCode[c]).filter(Boolean);
      if (!svcs.length) continue;
      const waiting = svcs.reduce((a, s) => a + s.waiting, 0);
      const waits = svcs.filter((s) => s.available && s.estimated_wait_minutes !== null)
        .map((s) => s.estimated_wait_minutes);
      let estimate;
      if (!svcs.some((s) => s.available)) estimate = T["not served today"];
      else if (!waits.length) estimate = "";  // no open window yet: no honest estimate
      else if (Math.max(...waits) < 1) estimate = T["no wait"];
      else if (Math.min(...waits) === Math.max(...waits)) estimate = fmt(T["about {minutes} min"], { minutes: fa(waits[0]) });
      else estimate = fmt(T["{low}–{high} min"], { low: fa(Math.min(...waits)), high: fa(Math.max(...waits)) });
      const box = document.createElement("div");
      box.className = "unit";
      box.dataset.unit = u.code;
      for (const [cls, text] of [["name", u.name[lang] || u.name.fa],
        ["waiting", fmt(T["{count} waiting"], { count: fa(waiting) })], ["estimate", estimate]]) {
        const d = document.createElement("div");
        d.className = cls;
        d.textContent = text;
        box.append(d);
      }
      boxes.push(box);
    }
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
  let refreshTimer = null;
  function refreshServices() { // bursts of events collapse into one request
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      try { state.services = (await getJSON("/services")).services; renderUnits(); } catch (e) { /* next event retries */ }
    }, 200);
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

  function connect() {
    const source = new EventSource("/api/v1/events");
    source.onopen = () => { state.online = true; render(); refreshServices(); };
    source.onerror = () => { state.online = false; render(); }; // EventSource retries with Last-Event-ID
    source.addEventListener("ticket.called", (m) => onCall(JSON.parse(m.data), false));
    source.addEventListener("ticket.recalled", (m) => onCall(JSON.parse(m.data), true));
    source.addEventListener("ticket.cancelled", (m) => {
      const ev = JSON.parse(m.data);
      state.calls = state.calls.filter((c) => c.ticket !== ev.ticket);
      render();
    });
    for (const type of ["ticket.issued", "ticket.started", "ticket.done", "ticket.no_show", "ticket.transferred",
      "ticket.cancelled", "counter.changed"]) {
      source.addEventListener(type, refreshServices);
    }
  }

  async function load() {
    try {
      const [branch, services, counters] = await Promise.all([getJSON("/branch"), getJSON("/services"), getJSON("/counters")]);
      state.units = branch.units;
      state.services = services.services;
      const seeded = counters.counters.filter((c) => c.current_ticket && !state.calls.some((x) => x.ticket === c.current_ticket.id))
        .map((c) => ({ ticket: c.current_ticket.id, number: c.current_ticket.number, counter: c.number, at: c.current_ticket.called_at }))
        .sort((a, b) => (b.at || "").localeCompare(a.at || ""));
      state.calls = [...state.calls, ...seeded].slice(0, HISTORY + 1);
      render();
    } catch (e) {
      setTimeout(load, 3000);
      return;
    }
    state.loaded = true;
  }

  // The clock ticks here; the Jalali date comes from the hub (navbat.persian) every minute.
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
