// The clerk's console: log in with a PIN at a counter, then call, recall, start, finish,
// mark a no-show, transfer, pause. Plain JavaScript against the JSON API; the token is
// kept in sessionStorage (this tab only). Shortcuts use KeyboardEvent.code so they work
// with the Persian keyboard layout too.
"use strict";
(function () {
  const lang = document.body.dataset.lang;
  const T = JSON.parse(document.getElementById("texts").textContent);
  const $ = (id) => document.getElementById(id);
  const fa = (v) => (lang === "fa" ? String(v).replace(/\d/g, (d) => "۰۱۲۳۴۵۶۷۸۹"[d]) : String(v));
  const fmt = (text, vals) => text.replace(/\{(\w+)\}/g, (_, k) => vals[k]);
  const name = (text) => (text ? text[lang] || text.fa : "");

  const S = {
    token: sessionStorage.getItem("navbat.token"),
    counter: Number(sessionStorage.getItem("navbat.counter")) || null,
    view: null, services: [], branch: null, checks: {}, source: null, pending: null, transferFor: null,
  };
  window.navbatConsole = S; // for tests and support

  async function api(method, path, body, keepalive) {
    const headers = { Accept: "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let r;
    try {
      r = await fetch("/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body),
        cache: "no-store", keepalive: !!keepalive });
    } catch (e) {
      throw { status: 0, error: "unreachable", message: "" };
    }
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      throw { status: r.status, error: data.error || "error", message: data.message || "HTTP " + r.status,
        retry: Number(r.headers.get("Retry-After")) || 0 };
    }
    return data;
  }

  // Every refusal in the clerk's words, with what to do next; the hub's own (English) text only
  // for what the console does not know.
  const REFUSALS = {
    bad_credentials: "Wrong username or PIN. Check both and try again.",
    bad_credentials_format: "Wrong username or PIN. Check both and try again.",
    counter_required: "Choose your counter, then log in.",
    counter_taken: "Another clerk holds this counter. Choose your own counter, or ask the branch head to free it.",
    ticket_in_progress: "A visitor is still at the counter: finish, transfer or mark a no-show first.",
    counter_closed: "The counter is closed: open it first.",
    counter_paused: "The counter is paused: resume it first.",
    no_current_ticket: "There is no visitor at the counter.",
    same_service: "The visitor is already at that sub-service: choose another.",
    unreachable: "The hub did not answer; try again.",
    unknown_request: "No request has this tracking code: check it with the visitor.",
    already_answered: "This request was already answered with another result.",
    bad_result: "Write the result in a few words (at most 500 letters).",
    too_late_to_uncall: "Too late to take the call back: recall the visitor, or mark a no-show.",
  };
  function explain(e) {
    if (e.error === "too_many_attempts") return fmt(T["Too many wrong PINs. Try again in {minutes} minutes, or ask the branch head."], { minutes: fa(Math.max(1, Math.ceil((e.retry || 60) / 60))) });
    if (REFUSALS[e.error]) return T[REFUSALS[e.error]];
    return fmt(T["Not done ({message}). Try again, or ask the branch head."], { message: e.message });
  }

  function say(text, isError) {
    $("message").textContent = text ? (isError ? "⚠ " : "") + text : "";
    $("message").className = isError ? "error" : "";
  }

  // ---- logging in ------------------------------------------------------------------
  async function showLogin() {
    $("console").hidden = true;
    $("logout").hidden = true;
    $("live").hidden = true;
    $("login").hidden = false;
    $("who").textContent = "";
    $("title-counter").textContent = "";
    try {
      const { counters } = await api("GET", "/counters");
      const select = $("counter");
      select.replaceChildren(select.options[0]);
      for (const c of counters) {
        const o = document.createElement("option");
        o.value = c.number;
        o.textContent = name(c.name) + " — " + T[c.state] + (c.clerk_name || c.clerk ? " — " + fmt(T["taken by {clerk}"], { clerk: c.clerk_name || c.clerk }) : "");
        select.append(o);
      }
      if (S.counter) select.value = S.counter;
    } catch (e) { say(explain(e), true); }
    $("username").focus();
  }

  $("login").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    try {
      const counter = Number($("counter").value);
      const r = await api("POST", "/login", { username: $("username").value.trim(), pin: $("pin").value, counter });
      S.token = r.token;
      S.counter = counter;
      sessionStorage.setItem("navbat.token", r.token);
      sessionStorage.setItem("navbat.counter", String(counter));
      $("pin").value = "";
      say("");
      await showConsole();
    } catch (e) {
      say(T["Log in failed"] + ": " + explain(e), true);
      // back to the field to mend: the PIN after a wrong one, the counter when it is taken
      const field = { counter_taken: "counter", counter_required: "counter", bad_credentials: "pin" }[e.error];
      if (field) { $(field).focus(); if (field === "pin") $("pin").select(); }
    }
  });

  $("logout").addEventListener("click", async () => {
    await commitPending();
    try { await api("POST", "/logout"); } catch (e) { /* the session ends here anyway */ }
    sessionStorage.removeItem("navbat.token");
    S.token = null;
    if (S.source) S.source.close();
    say("");
    showLogin();
  });

  // ---- the console -----------------------------------------------------------------
  async function showConsole() {
    try {
      const me = await api("GET", "/me");
      if (me.counter) S.counter = me.counter;
      $("who").textContent = T["Clerk"] + ": " + (me.display_name || me.name);  // their name, not their login
      [S.branch, S.services] = await Promise.all([api("GET", "/branch"), api("GET", "/services").then((r) => r.services)]);
    } catch (e) {
      if (e.status === 401) { sessionStorage.removeItem("navbat.token"); S.token = null; return showLogin(); }
      say(explain(e), true);
      return;
    }
    const select = $("transfer-to");
    // transfer never goes to a default nobody chose: the list starts at "choose"
    const none = document.createElement("option");
    none.value = "";
    none.textContent = T["Choose a sub-service"];
    select.replaceChildren(none, ...S.branch.units.map((u) => {
      const g = document.createElement("optgroup");
      g.label = name(u.name);
      for (const code of u.services) {
        const s = S.services.find((x) => x.code === code);
        const o = document.createElement("option");
        o.value = code;
        o.textContent = s ? name(s.name) : code;
        g.append(o);
      }
      return g;
    }));
    $("login").hidden = true;
    $("console").hidden = false;
    $("logout").hidden = false;
    $("live").hidden = false;
    connect();
    await refresh();
    focusPrimary();
  }

  async function refresh() {
    try {
      S.view = await api("GET", "/counters/" + S.counter);
    } catch (e) { say(explain(e), true); return; }
    render();
  }

  const serviceOf = (code) => S.services.find((s) => s.code === code);

  function reasonText(reason) {
    if (!reason) return "";
    return reason.split("; ").map((part) => {
      let m = part.match(/^waited (\d+) min of ([\d.]+) target$/);
      if (m) return fmt(T["waited {m} min of {t} target"], { m: fa(m[1]), t: fa(m[2]) });
      m = part.match(/^(\w+) ×([\d.]+)(?: \+(\d+) min head start)?$/);
      if (m) {
        const p = S.branch.priority_classes.find((c) => c.code === m[1]);
        return (p ? name(p.name) : m[1]) + " ×" + fa(m[2]) + (m[3] ? " (+" + fa(m[3]) + " " + T["min"] + " " + T["head start"] + ")" : "");
      }
      m = part.match(/^appointment, slot (in )?(\d+) min( ago)?$/); // issue 18 B
      if (m) return fmt(T[m[1] ? "appointment, slot in {m} min" : "appointment, slot {m} min ago"], { m: fa(m[2]) });
      if (part === "primary skill") return T["primary skill"];
      if (part.startsWith("backup skill")) return T["backup skill"] + part.slice("backup skill".length).replace(/[\d.]+/g, fa);
      return part;
    }).join(lang === "fa" ? "؛ " : "; ");
  }

  // The one action that makes sense now is the primary button, and where focus lands.
  function primaryAction() {
    const v = S.view, t = v && v.current_ticket;
    if (!v) return null;
    if (v.state === "closed") return "open";
    if (v.state === "paused") return "resume";
    if (!t || S.pending) return "next";
    return t.state === "called" ? "start" : "done";
  }

  // Calling is the one action the whole hall sees and hears: focus never waits on "Next", so no
  // Enter meant for something else calls a visitor (issue 24). The clerk presses it, or Alt+N.
  function focusPrimary() {
    const a = document.activeElement;
    if (a && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && a.type !== "checkbox"))) return;
    const action = primaryAction();
    if (action === "next") { $("ticket-title").focus(); return; }
    const b = document.querySelector(`#actions button[data-action="${action}"]`);
    if (b && !b.hidden && !b.disabled) b.focus();
  }

  function render() {
    const v = S.view;
    const t = S.pending ? null : v.current_ticket; // a finishing visit waits for undo: it is over here
    $("title-counter").textContent = "— " + name(v.name) + " (" + T[v.state] + ")";
    const show = (id, on) => { $(id).hidden = !on; };
    const enable = (id, on) => { $(id).disabled = !on; };
    show("open", v.state === "closed");
    show("pause", v.state !== "paused");
    show("resume", v.state === "paused");
    enable("next", v.state === "open" && (!v.current_ticket || !!S.pending));
    enable("recall", !!t && t.state === "called");
    enable("start", !!t && t.state === "called");
    enable("no-show", !!t && t.state === "called");
    for (const id of ["done", "incomplete", "registered", "transfer-to"]) enable(id, !!t);
    const to = $("transfer-to").value;
    enable("transfer", !!t && !!to && to !== t.service);
    enable("pause", v.state === "open" && !v.current_ticket);
    enable("close", v.state !== "closed" && !v.current_ticket);
    const primary = primaryAction();
    for (const b of document.querySelectorAll("#actions button[data-action]")) {
      b.classList.toggle("primary", b.dataset.action === primary);
    }

    show("no-ticket", !t);
    show("ticket-body", !!t);
    if (t) {
      const svc = serviceOf(t.service);
      const p = t.priority && S.branch.priority_classes.find((c) => c.code === t.priority);
      $("ticket-number").textContent = fa(t.number);
      $("ticket-service").textContent = svc ? name(svc.name) + " (" + svc.unit_name[lang] + ")" : t.service;
      $("ticket-priority").textContent = p ? name(p.name) : T["Regular"];
      // how the turn was taken (issue 18): from a phone, by a booked time, or at the kiosk; the
      // clerk knows the visitor did not queue in the hall
      $("ticket-channel").textContent = t.remote ? T["Remote turn, checked in"]
        : t.appointment ? fmt(T["appointment at {time}"], { time: fa(t.appointment.start) }) : T["Kiosk"];
      $("ticket-channel").classList.toggle("remote", !!t.remote || !!t.appointment);
      const waited = t.called_at ? Math.max(0, Math.round((Date.parse(t.called_at) - Date.parse(t.issued_at)) / 60000)) : 0;
      $("ticket-waited").textContent = fa(waited) + " " + T["min"];
      $("ticket-recalls").textContent = fa(t.recalls || 0);
      $("ticket-reason").textContent = reasonText(t.reason);
      renderDocuments(t, svc);
    }
    const key = t ? t.id + ":" + t.service : null;
    if (key !== S.transferFor) { S.transferFor = key; $("transfer-to").value = ""; enable("transfer", false); }
    renderWaiting();
  }

  function renderDocuments(t, svc) {
    const key = t.id + ":" + t.service;
    const checks = (S.checks[key] = S.checks[key] || new Set());
    const docs = svc ? svc.documents : [];
    $("documents").replaceChildren(...docs.map((d, i) => {
      const li = document.createElement("li");
      const label = document.createElement("label");
      const box = document.createElement("input");
      box.type = "checkbox";
      box.checked = checks.has(i);
      box.addEventListener("change", () => { box.checked ? checks.add(i) : checks.delete(i); renderMissing(docs, checks); });
      label.append(box, " ", name(d));
      li.append(label);
      return li;
    }));
    renderMissing(docs, checks);
  }

  function renderMissing(docs, checks) {
    const missing = docs.filter((_, i) => !checks.has(i)).map(name);
    $("missing").hidden = checks.size === 0; // nothing ticked yet: reception has not begun

    $("missing").textContent = missing.length ? T["Tell the visitor what is missing:"] + " " + missing.join(lang === "fa" ? "، " : ", ") : T["All documents present"];
  }

  function renderWaiting() {
    const rows = [...S.view.services].sort((a, b) => b.weight - a.weight).map((sk) => {
      const s = serviceOf(sk.code);
      const tr = document.createElement("tr");
      tr.dataset.service = sk.code;
      if (sk.weight < 1) tr.className = "backup";
      const cells = [s ? name(s.name) : sk.code, s ? fa(s.waiting) : "?",
        s && s.estimated_wait_minutes !== null ? fa(s.estimated_wait_minutes) + " " + T["min"] : "—"];
      cells.forEach((text, i) => {
        const td = document.createElement("td");
        td.textContent = text;
        if (i === 1) td.className = "count";
        tr.append(td);
      });
      return tr;
    });
    $("waiting").replaceChildren(...rows);
  }

  // ---- actions ---------------------------------------------------------------------
  // Done, documents incomplete, no-show and transfer end a visit: each waits UNDO_MS with an
  // undo bar before it reaches the hub (any other action, or leaving the page, sends it at once).
  const UNDOABLE = ["done", "incomplete", "registered", "no-show", "transfer"];
  S.undoMs = 6000;

  function request(action) {
    const t = S.view && S.view.current_ticket;
    const number = t ? fa(t.number) : "";
    const path = `/counters/${S.counter}/`;
    if (action === "done" || action === "incomplete" || action === "registered") {
      // registered: a request a back office answers later, with its due date (issue 16, F3)
      const outcome = { done: "served", incomplete: "documents_incomplete", registered: "registered" }[action];
      const said = { done: "Finished {number}", incomplete: "{number}: documents incomplete, recorded",
        registered: "{number}: request registered; the visitor follows the answer with the tracking code" }[action];
      return { path: path + "done", body: { outcome }, text: fmt(T[said], { number }) };
    }
    if (action === "transfer") {
      const to = $("transfer-to").value;
      return { path: path + "transfer", body: { service: to },
        text: fmt(T["{number} transferred to {service}"], { number, service: name(serviceOf(to).name) }) };
    }
    const done = { recall: "Recalled {number}", start: "Started {number}", "no-show": "{number} did not come",
      pause: "Counter paused", resume: "Counter open", open: "Counter open", close: "Counter closed" }[action];
    return { path: path + action, body: undefined, text: fmt(T[done], { number }) };
  }

  function failed(e) {
    if (e.status === 401) { sessionStorage.removeItem("navbat.token"); S.token = null; showLogin(); say(T["Your session has ended: log in again."], true); return; }
    say(explain(e), true);
  }

  async function act(action) {
    if (S.pending) await commitPending(); // the visit before is over: send it first
    endUncall();
    if (UNDOABLE.includes(action)) return defer(action);
    try {
      if (action === "next") {
        const r = await api("POST", `/counters/${S.counter}/next`);
        say(r ? fmt(T["Called {number}"], { number: fa(r.number) }) : T["Nobody is waiting for this counter's sub-services."]);
        if (r) offerUncall(r);
      } else {
        const { path, body, text } = request(action);
        await api("POST", path, body);
        say(text);
      }
    } catch (e) { failed(e); }
    await refresh();
    focusPrimary();
  }

  function defer(action) {
    const req = request(action);
    S.pending = { ...req, action, timer: setTimeout(commitPending, S.undoMs) };
    $("undo-text").textContent = req.text;
    $("undo-bar").hidden = false;
    say(req.text + " — " + T["Undo within a few seconds if this was a mistake."]);
    render();
    $("undo").focus();
  }

  async function commitPending(keepalive) {
    const p = S.pending;
    if (!p) return;
    clearTimeout(p.timer);
    S.pending = null;
    $("undo-bar").hidden = true;
    try {
      await api("POST", p.path, p.body, keepalive);
      say(p.text);
    } catch (e) { failed(e); }
    S.committed = (S.committed || 0) + 1;
    if (keepalive) return;
    await refresh();
    if (!document.activeElement || document.activeElement === document.body || document.activeElement.id === "undo") focusPrimary();
  }

  // A call is sent at once (the wall announces it), so it is taken back by the hub: for a few
  // seconds the undo bar offers that, and the visitor goes back to their place in line.
  S.uncallMs = 10000;
  function offerUncall(ticket) {
    S.uncall = { number: ticket.number, timer: setTimeout(endUncall, S.uncallMs) };
    $("undo-text").textContent = fmt(T["Called {number}"], { number: fa(ticket.number) });
    $("undo-now").hidden = true;
    $("undo-bar").hidden = false;
  }

  function endUncall() {
    if (!S.uncall) return;
    clearTimeout(S.uncall.timer);
    S.uncall = null;
    $("undo-bar").hidden = true;
    $("undo-now").hidden = false;
  }

  async function uncall() {
    const number = S.uncall.number;
    endUncall();
    try {
      await api("POST", `/counters/${S.counter}/uncall`);
      say(fmt(T["Call taken back: {number} keeps their place in line."], { number: fa(number) }));
    } catch (e) { failed(e); }
    await refresh();
    focusPrimary();
  }

  function undo() {
    if (S.uncall) return uncall();
    const p = S.pending;
    if (!p) return;
    clearTimeout(p.timer);
    S.pending = null;
    $("undo-bar").hidden = true;
    say(fmt(T["Undone: {number} is still at the counter."], { number: fa(S.view.current_ticket.number) }));
    render();
    $(p.action).focus();
  }

  // Issue 16: answer a request registered earlier (any counter's), by its tracking code.
  $("answer-request").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = $("answer-code").value.trim().toUpperCase();
    try {
      const r = await api("POST", `/requests/${encodeURIComponent(code)}/answer`, { result: $("answer-result").value });
      say(fmt(T["Request {number} answered; the visitor sees the result with the tracking code."], { number: fa(r.number) }));
      $("answer-request").reset();
    } catch (e) {
      if (e.status === 401) return failed(e);
      say(explain(e), true);
      $(e.error === "bad_result" ? "answer-result" : "answer-code").focus();
    }
  });

  $("undo").addEventListener("click", undo);
  $("undo-now").addEventListener("click", () => commitPending());
  window.addEventListener("pagehide", () => commitPending(true));
  $("transfer-to").addEventListener("change", () => { if (S.view) render(); });

  for (const b of document.querySelectorAll("#actions button[data-action]")) {
    b.addEventListener("click", () => act(b.dataset.action));
  }

  // Why a shortcut's button cannot act now, in words, rather than nothing at all.
  function whyNot(action) {
    const v = S.view, t = v.current_ticket;
    if (v.state === "closed" && action !== "open") return T["The counter is closed: open it first."];
    if (v.state === "paused" && action !== "resume") return T["The counter is paused: resume it first."];
    if (["next", "pause", "close"].includes(action) && t) return T["A visitor is still at the counter: finish, transfer or mark a no-show first."];
    if (!t) return T["There is no visitor at the counter."];
    if (action === "transfer") return T["Choose where to transfer the visitor first."];
    return T["The visitor is already being served."];
  }

  // Shortcuts need Alt (WCAG 2.1.4: a stray key never acts) and can be turned off; they go by
  // key position (KeyboardEvent.code), so they work with the Persian layout too.
  S.shortcuts = localStorage.getItem("navbat.shortcuts") !== "off";
  const applyShortcuts = () => { $("shortcuts-on").checked = S.shortcuts; document.body.classList.toggle("no-shortcuts", !S.shortcuts); };
  $("shortcuts-on").addEventListener("change", () => {
    S.shortcuts = $("shortcuts-on").checked;
    localStorage.setItem("navbat.shortcuts", S.shortcuts ? "on" : "off");
    applyShortcuts();
  });
  applyShortcuts();

  document.addEventListener("keydown", (ev) => {
    if ($("console").hidden || !S.shortcuts || !ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    if (ev.code === "KeyZ") { ev.preventDefault(); undo(); return; }
    const buttons = [...document.querySelectorAll(`#actions button[data-key="${ev.code}"]`)].filter((b) => !b.hidden);
    if (!buttons.length) return;
    ev.preventDefault();
    const button = buttons.find((b) => !b.disabled);
    if (button) button.click();
    else if (!S.pending) say(whyNot(buttons[0].dataset.action), true);
  });

  // ---- live waiting counts -------------------------------------------------------------
  let timer = null;
  function connect() {
    if (S.source) S.source.close();
    // EventSource cannot send headers: the session token goes in the query, and earns this
    // console a stream slot anonymous subscribers cannot take.
    const source = (S.source = new EventSource("/api/v1/events?token=" + encodeURIComponent(S.token || "")));
    const live = (on) => { $("live").className = "live " + (on ? "on" : "off"); $("live").textContent = on ? T["Live"] : T["Offline"]; };
    source.onopen = () => live(true);
    source.onerror = () => { // EventSource retries by itself, unless the hub refused the stream (503)
      live(false);
      if (source.readyState === 2) setTimeout(() => { if (S.source === source && S.token) connect(); }, 30000); // CLOSED
    };
    source.onmessage = null;
    for (const type of ["ticket.issued", "ticket.called", "ticket.recalled", "ticket.started", "ticket.done",
      "ticket.no_show", "ticket.transferred", "ticket.cancelled", "ticket.uncalled", "counter.changed"]) {
      source.addEventListener(type, () => {
        clearTimeout(timer);
        timer = setTimeout(async () => {
          try { S.services = (await api("GET", "/services")).services; } catch (e) { return; }
          await refresh();
        }, 150);
      });
    }
  }

  if (S.token) showConsole(); else showLogin();
})();
