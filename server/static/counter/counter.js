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
    view: null, services: [], branch: null, checks: {}, source: null,
  };
  window.navbatConsole = S; // for tests and support

  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (S.token) headers.Authorization = "Bearer " + S.token;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    let r;
    try {
      r = await fetch("/api/v1" + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
    } catch (e) {
      throw { status: 0, error: "unreachable", message: T["The hub did not answer; try again."] };
    }
    if (r.status === 204) return null;
    const data = await r.json().catch(() => ({}));
    if (!r.ok) throw { status: r.status, error: data.error || "error", message: data.message || "HTTP " + r.status };
    return data;
  }

  function say(text, isError) {
    $("message").textContent = text;
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
    } catch (e) { say(e.message, true); }
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
    } catch (e) { say(T["Log in failed"] + ": " + e.message, true); }
  });

  $("logout").addEventListener("click", async () => {
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
      $("who").textContent = T["Clerk"] + ": " + me.name;
      [S.branch, S.services] = await Promise.all([api("GET", "/branch"), api("GET", "/services").then((r) => r.services)]);
    } catch (e) {
      if (e.status === 401) { sessionStorage.removeItem("navbat.token"); S.token = null; return showLogin(); }
      say(e.message, true);
      return;
    }
    const select = $("transfer-to");
    select.replaceChildren(...S.branch.units.map((u) => {
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
  }

  async function refresh() {
    try {
      S.view = await api("GET", "/counters/" + S.counter);
    } catch (e) { say(e.message, true); return; }
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
      if (part === "primary skill") return T["primary skill"];
      if (part.startsWith("backup skill")) return T["backup skill"] + part.slice("backup skill".length).replace(/[\d.]+/g, fa);
      return part;
    }).join(lang === "fa" ? "؛ " : "; ");
  }

  function render() {
    const v = S.view;
    const t = v.current_ticket;
    $("title-counter").textContent = "— " + name(v.name) + " (" + T[v.state] + ")";
    const show = (id, on) => { $(id).hidden = !on; };
    const enable = (id, on) => { $(id).disabled = !on; };
    show("open", v.state === "closed");
    show("pause", v.state !== "paused");
    show("resume", v.state === "paused");
    enable("next", v.state === "open" && !t);
    enable("recall", !!t && t.state === "called");
    enable("start", !!t && t.state === "called");
    enable("no-show", !!t && t.state === "called");
    for (const id of ["done", "incomplete", "transfer", "transfer-to"]) enable(id, !!t);
    enable("pause", v.state === "open" && !t);
    enable("close", v.state !== "closed" && !t);

    show("no-ticket", !t);
    show("ticket-body", !!t);
    if (t) {
      const svc = serviceOf(t.service);
      const p = t.priority && S.branch.priority_classes.find((c) => c.code === t.priority);
      $("ticket-number").textContent = fa(t.number);
      $("ticket-service").textContent = svc ? name(svc.name) + " (" + svc.unit_name[lang] + ")" : t.service;
      $("ticket-priority").textContent = p ? name(p.name) : T["Regular"];
      const waited = t.called_at ? Math.max(0, Math.round((Date.parse(t.called_at) - Date.parse(t.issued_at)) / 60000)) : 0;
      $("ticket-waited").textContent = fa(waited) + " " + T["min"];
      $("ticket-recalls").textContent = fa(t.recalls || 0);
      $("ticket-reason").textContent = reasonText(t.reason);
      renderDocuments(t, svc);
      if ([...$("transfer-to").options].some((o) => o.value === t.service)) {
        // default the transfer target to something else than where it is now
        if ($("transfer-to").value === t.service) $("transfer-to").selectedIndex = ($("transfer-to").selectedIndex + 1) % $("transfer-to").options.length;
      }
    }
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
    $("missing").hidden = false;
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
  async function act(action) {
    const t = S.view && S.view.current_ticket;
    const number = t ? fa(t.number) : "";
    try {
      let r;
      if (action === "next") {
        r = await api("POST", `/counters/${S.counter}/next`);
        say(r ? fmt(T["Called {number}"], { number: fa(r.number) }) : T["Nobody is waiting for this counter's sub-services."]);
      } else if (action === "done" || action === "incomplete") {
        const outcome = action === "done" ? "served" : "documents_incomplete";
        await api("POST", `/counters/${S.counter}/done`, { outcome });
        say(action === "done" ? fmt(T["Finished {number}"], { number }) : fmt(T["{number}: documents incomplete, recorded"], { number }));
      } else if (action === "transfer") {
        const to = $("transfer-to").value;
        await api("POST", `/counters/${S.counter}/transfer`, { service: to });
        say(fmt(T["{number} transferred to {service}"], { number, service: name(serviceOf(to).name) }));
      } else {
        await api("POST", `/counters/${S.counter}/${action}`);
        const done = { recall: "Recalled {number}", start: "Started {number}", "no-show": "{number} did not come",
          pause: "Counter paused", resume: "Counter open", open: "Counter open", close: "Counter closed" }[action];
        say(fmt(T[done], { number }));
      }
    } catch (e) {
      if (e.status === 401) { sessionStorage.removeItem("navbat.token"); S.token = null; return showLogin(); }
      say(e.message, true);
    }
    await refresh();
  }

  for (const b of document.querySelectorAll("#actions button[data-action]")) {
    b.addEventListener("click", () => act(b.dataset.action));
  }

  document.addEventListener("keydown", (ev) => {
    if ($("console").hidden || ev.ctrlKey || ev.altKey || ev.metaKey) return;
    const t = ev.target;
    if (t.tagName === "SELECT" || t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && !["checkbox", "radio"].includes(t.type))) return;
    const button = [...document.querySelectorAll(`#actions button[data-key="${ev.code}"]`)].find((b) => !b.hidden && !b.disabled);
    if (button) { ev.preventDefault(); button.click(); }
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
      "ticket.no_show", "ticket.transferred", "ticket.cancelled", "counter.changed"]) {
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
