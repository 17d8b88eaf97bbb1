// The live floor (D8): queues against targets, counters, alerts, staffing and what-if.
"use strict";
const FLOOR_STREAM = [...Navbat.FLOOR_EVENTS, Navbat.EVENTS.DEVICE_STATUS];
let state = null;
let timer = null;
let source = null;

function name(obj) { return (obj && (obj[N.lang] || obj.en)) || ""; }

function scheduleRefresh(delay) {
  clearTimeout(timer);
  timer = setTimeout(refresh, delay === undefined ? 250 : delay);
}

async function refresh() {
  try {
    state = await api("GET", "/head/floor");
    render(state);
  } catch (err) {
    if (err.status !== 401) showAlerts([{level: "danger", text: t("Could not load: {error}", {error: err.message})}]);
  }
  scheduleRefresh(30000);  // waits grow even without events
}

function listen() {
  if (source) source.close();
  // EventSource cannot send headers: the head's session token goes in the query.
  const mine = (source = new EventSource("/api/v1/events?token=" + encodeURIComponent(auth.token || "")));
  const live = document.getElementById("live");
  source.onopen = () => { live.className = "live on"; live.title = t("Live"); scheduleRefresh(0); };
  source.onerror = () => { // EventSource retries by itself, unless the hub refused the stream (503)
    live.className = "live off"; live.title = t("Reconnecting…");
    if (mine.readyState === 2) setTimeout(() => { if (source === mine) listen(); }, 30000);  // 2: CLOSED
  };
  for (const type of FLOOR_STREAM) {
    source.addEventListener(type, () => {
      scheduleRefresh();
      if (type === Navbat.EVENTS.COUNTER_CHANGED) loadStaffing();
    });
  }
}

function render(s) {
  document.getElementById("clock").textContent = clockText(new Date(s.now));
  document.getElementById("k-waiting").textContent = num(s.totals.waiting);
  document.getElementById("k-served").textContent = num(s.totals.served_today);
  document.getElementById("k-open").textContent = digits(`${s.totals.open_counters}/${s.totals.counters}`);
  const sat = s.satisfaction_today;
  document.getElementById("k-sat").textContent = sat.ratings ? num(sat.satisfied_pct) + PCT : "–";
  showAlerts(s.alerts.map(alertText));
  renderServices(s.services);
  renderCounters(s.counters);
}

function alertText(a) {
  if (a.text) return {level: a.level, text: a.text};  // worded by the hub (a worker that is not healthy)
  if (a.kind === "wait_over_target") {
    return {level: a.level, text: `${name(a.name)}: ` + t("Wait {minutes} min past the {target} min target",
      {minutes: num(a.minutes), target: num(a.target)})};
  }
  if (a.kind === "no_open_counter") {
    return {level: a.level, text: `${name(a.name)}: ` + t("Nobody can serve {waiting} waiting", {waiting: num(a.waiting)})};
  }
  if (a.kind === "numbers_exhausted") {
    return {level: a.level, text: t("Numbers of {name} are all in use: finish or cancel old tickets", {name: name(a.name)})};
  }
  if (a.kind === "login_locked") {
    const until = new Date(a.until).toLocaleTimeString(N.lang === "fa" ? "fa-IR" : "en-GB",
      {hour: "2-digit", minute: "2-digit", timeZone: N.tz || "Asia/Tehran"});  // the branch's clock
    return {level: a.level, text: t("Wrong PINs for {who}: logins refused until {until}",
      {who: a.username || a.address, until}), unlock: a.username ? {username: a.username} : {address: a.address}};
  }
  if (a.kind === "numbers_low") {
    return {level: a.level, text: t("Only {free} of the {total} numbers of {name} are free",
      {free: num(a.free), total: num(a.total), name: name(a.name)})};
  }
  return {level: a.level, text: t("{device} is {status}", {device: a.device, status: t(a.status).replace(/_/g, " ")}) + (a.detail ? ` (${a.detail})` : "")};
}

function showAlerts(list) {
  const box = document.getElementById("alerts");
  box.replaceChildren(...(list.length ? list.map((a) => el("div", {class: "alert " + a.level}, a.text,
    a.unlock ? [" ", el("button", {type: "button", class: "unlock", onclick: () => unlock(a.unlock)}, t("Unlock"))] : null))
    : [el("div", {class: "alert ok"}, t("No alerts"))]));
}

// The head lifts a lock-out (a clerk who mistyped, or a guesser's lock on a real clerk's name).
async function unlock(body) {
  try {
    await api("POST", "/lockouts/unlock", body);
  } catch (err) {
    if (err.status !== 401) showAlerts([{level: "danger", text: t("Could not load: {error}", {error: err.message})}]);
  }
  scheduleRefresh(0);
}

function renderServices(services) {
  const body = document.querySelector("#services tbody");
  body.replaceChildren(...services.map((s) => {
    const ratio = s.longest_wait_minutes === null ? 0 : s.longest_wait_minutes / s.target_wait_minutes;
    const bar = el("div", {class: "meter"}, el("i", {class: ratio > 1 ? "over" : ratio > 0.75 ? "near" : "",
      style: `width:${Math.min(ratio, 1.5) / 1.5 * 100}%`}));
    const est = s.estimated_wait ? `${num(s.estimated_wait.minutes)} ${t("min")}` : "–";
    return el("tr", {class: s.over_target ? "over" : "", "data-service": s.code},
      el("td", {}, el("b", {}, s.code), " ", name(s.name)),
      el("td", {class: "n"}, num(s.waiting)),
      el("td", {class: "wait"}, bar, el("small", {}, s.longest_wait_minutes === null ? `${t("Target")} ${num(s.target_wait_minutes)}`
        : `${num(s.longest_wait_minutes)} ${t("min")} · ${t("Target")} ${num(s.target_wait_minutes)}`)),
      el("td", {class: "n"}, est),
      el("td", {class: "n"}, num(s.served_today)),
      el("td", {class: "n"}, s.counters.length ? digits(s.counters.join(N.lang === "fa" ? "،" : ", ")) : t("no counter")));
  }));
}

function renderCounters(counters) {
  const box = document.getElementById("counters");
  box.replaceChildren(...counters.map((c) => {
    const cur = c.current_ticket;
    const toggle = c.state === "open"
      ? el("button", {class: "danger", "data-action": "close", "aria-label": `${t("Close")} · ${name(c.name)}`,
        onclick: () => setState(c.number, "close")}, t("Close"))
      : el("button", {class: "primary", "data-action": "open", "aria-label": `${t("Open")} · ${name(c.name)}`,
        onclick: () => setState(c.number, "open")}, t("Open"));
    return el("article", {class: "counter " + c.state, "data-counter": c.number},
      el("header", {}, el("b", {}, name(c.name)), el("span", {class: "badge state"}, t(c.state))),
      el("div", {class: "clerk"}, c.clerk_name || c.clerk || "—"),  // the name the branch gave, not the login
      el("div", {class: "current"}, cur ? [el("bdi", {class: "ticket-no"}, digits(cur.number)), " · ", el("bdi", {}, cur.service),
        " · ", el("bdi", {}, `${num(c.busy_minutes)} ${t("min")}`)] : t("idle")),
      el("div", {class: "stats"}, `${t("Served today")}: ${num(c.served_today)} · ${t("Mean service")}: ${num(c.avg_service_minutes, 1)} ${t("min")}`),
      el("div", {class: "services-line muted"}, c.services.map((s) => s.weight >= 1 ? s.code : `(${s.code})`).join(" ")),
      el("div", {class: "actions"}, toggle,
        el("button", {"data-action": "services", "aria-label": `${t("Services")} · ${name(c.name)}`,
          onclick: () => editServices(c)}, t("Services"))),
      el("p", {class: "error", "data-error": c.number}));
  }));
}

async function setState(number, action) {
  try {
    await api("POST", `/counters/${number}/${action}`);
    scheduleRefresh(0);
  } catch (err) {
    const box = document.querySelector(`[data-error="${number}"]`);
    if (box) box.textContent = err.message;
  }
}

// A per-sub-service chooser: not served / primary (weight 1) / backup (0.5).
function servicesEditor(container, services) {
  container.replaceChildren(...N.units.map((u) => el("fieldset", {},
    el("legend", {}, u.name),
    u.services.map((s) => {
      const w = services[s.code] || 0;
      const select = el("select", {name: s.code},
        el("option", {value: "0", selected: w === 0}, t("not served")),
        el("option", {value: "1", selected: w >= 1}, t("primary")),
        el("option", {value: "0.5", selected: w > 0 && w < 1}, t("backup")));
      return el("label", {class: "service"}, el("span", {}, `${s.code} ${s.name}`), select);
    }))));
}

function readServices(container) {
  const out = {};
  for (const sel of container.querySelectorAll("select")) if (Number(sel.value) > 0) out[sel.name] = Number(sel.value);
  return out;
}

function editServices(c) {
  const dialog = document.getElementById("services-dialog");
  const box = dialog.querySelector("[data-services=edit]");
  document.getElementById("services-title").textContent = `${t("Services")} · ${name(c.name)}`;
  document.getElementById("services-error").textContent = "";
  servicesEditor(box, Object.fromEntries(c.services.map((s) => [s.code, s.weight])));
  dialog.dataset.counter = c.number;
  dialog.showModal();
}

async function saveServices(ev) {
  const dialog = document.getElementById("services-dialog");
  if (ev.submitter && ev.submitter.value !== "save") return;
  ev.preventDefault();
  try {
    await api("PUT", `/counters/${dialog.dataset.counter}/services`, {services: readServices(dialog.querySelector("[data-services=edit]"))});
    dialog.close();
    scheduleRefresh(0);
    loadStaffing();
  } catch (err) {
    document.getElementById("services-error").textContent = err.message;
  }
}

async function loadStaffing() {
  try {
    const s = await api("GET", "/head/staffing");
    document.getElementById("staffing-note").textContent =
      `${s.source === "history" ? t("from history") : t("from the busy-day model")}`
      + (s.scaled_to_today ? ` · ${t("scaled to today's arrivals")} ×${num(s.scaled_to_today, 2)}` : "") + ` · ${t("Target")}: ${num(s.share * 100)}${PCT} ≤ ${num(s.target_wait_minutes)} ${t("min")}`;
    const table = document.getElementById("staffing");
    table.tHead.replaceChildren(el("tr", {}, [t("Hour"), t("Arrivals"), t("Counters needed"), t("Open now"), t("Expected wait"), t("Within target")].map((h) => el("th", {}, h))));
    table.tBodies[0].replaceChildren(...s.hours.map((h) => el("tr", {class: h.counters_needed > h.open_now ? "over" : ""},
      el("td", {class: "hour"}, digits(h.hour)), el("td", {class: "n"}, num(h.arrivals)), el("td", {class: "n"}, num(h.counters_needed)),
      el("td", {class: "n"}, num(h.open_now)),
      el("td", {class: "n"}, h.expected_wait_minutes === null || h.expected_wait_minutes > 120 ? t("over capacity") : `${num(h.expected_wait_minutes, 1)} ${t("min")}`),
      el("td", {class: "n"}, num(h.within_target_pct) + PCT))));
    document.getElementById("staffing-chart").replaceChildren(barChart(
      s.hours.map((h) => ({label: digits(h.hour.slice(0, 2)), a: h.counters_needed, b: h.open_now})),
      [t("Counters needed"), t("Open now")], s.counters));
  } catch (err) { /* shown on the next refresh */ }
}

function setupWhatIf() {
  const form = document.getElementById("whatif");
  const box = form.querySelector("[data-services=whatif]");
  const fill = () => {
    const c = state && state.counters.find((x) => x.number === Number(form.counter.value));
    servicesEditor(box, c ? Object.fromEntries(c.services.map((s) => [s.code, s.weight])) : {});
  };
  form.counter.addEventListener("change", fill);
  form.querySelector("details").addEventListener("toggle", () => { if (!box.children.length) fill(); });
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const out = document.getElementById("whatif-result");
    const change = {counter: Number(form.counter.value)};
    if (form.state.value) change.state = form.state.value;
    if (box.children.length) change.services = readServices(box);
    out.textContent = "…";
    try {
      renderWhatIf(await api("POST", "/head/what-if", {changes: [change]}));
    } catch (err) {
      out.replaceChildren(el("p", {class: "error"}, err.message));
    }
  });
}

function renderWhatIf(r) {
  const changed = r.services.filter((s) => s.waiting || JSON.stringify(s.before) !== JSON.stringify(s.after));
  const fmt = (v) => (v === null || v === undefined ? "–" : `${num(v, 1)}`);
  const table = el("table", {class: "data"},
    el("thead", {}, el("tr", {}, el("th", {}, t("Sub-service")), el("th", {}, t("Waiting now")),
      el("th", {colspan: 2}, t("Mean wait")), el("th", {colspan: 2}, t("Newcomer's wait"))),
    el("tr", {}, el("th"), el("th"), el("th", {}, t("Before")), el("th", {}, t("After")), el("th", {}, t("Before")), el("th", {}, t("After")))),
    el("tbody", {}, changed.map((s) => el("tr", {class: (s.after.newcomer_wait || 0) > (s.before.newcomer_wait || 0) + 0.5 ? "worse" : ""},
      el("td", {}, `${s.code} ${name(s.name)}`), el("td", {class: "n"}, num(s.waiting)),
      el("td", {class: "n"}, fmt(s.before.mean_wait)), el("td", {class: "n"}, fmt(s.after.mean_wait)),
      el("td", {class: "n"}, s.before.served ? fmt(s.before.newcomer_wait) : t("no counter")),
      el("td", {class: "n"}, s.after.served ? fmt(s.after.newcomer_wait) : t("no counter"))))));
  const day = r.rest_of_day;
  const line = (k, label, unit) => el("tr", {}, el("td", {}, label), el("td", {class: "n"}, `${fmt(day.before[k])}${unit}`),
    el("td", {class: "n"}, `${fmt(day.after[k])}${unit}`));
  const rest = el("table", {class: "data"},
    el("thead", {}, el("tr", {}, el("th", {}, t("Rest of the day")), el("th", {}, t("Before")), el("th", {}, t("After")))),
    el("tbody", {}, line("mean_wait", t("Mean wait"), ` ${t("min")}`), line("p90_wait", t("P90 wait"), ` ${t("min")}`),
      line("within_target_pct", t("Within target"), PCT),
      el("tr", {}, el("td", {}, t("Visitors not served by any open counter")), el("td", {class: "n"}, num(day.before.unserved)),
        el("td", {class: "n"}, num(day.after.unserved)))));
  document.getElementById("whatif-result").replaceChildren(table, rest);
}

document.getElementById("services-form").addEventListener("submit", saveServices);
setupLogin(() => { refresh(); listen(); loadStaffing(); setupWhatIf(); });
