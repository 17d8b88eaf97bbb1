// The national dashboard: provinces ranked by a figure, drill-down province -> region -> branch ->
// sub-service, branches whose events stopped (lag) shown as such, complaints with their comments.
"use strict";
const N = JSON.parse(document.getElementById("navbat").textContent);
const FA = "۰۱۲۳۴۵۶۷۸۹";
const LAG_S = 120; // a live branch sends a batch (or an empty one) every few seconds
const t = (id, values) => Object.entries(values || {}).reduce((s, [k, v]) => s.replace("{" + k + "}", v),
  (N.strings && N.strings[id]) || id);
const digits = (s) => N.lang === "fa" ? String(s).replace(/[0-9]/g, (d) => FA[d]).replace(".", "٫") : String(s);
const num = (v, d) => v === null || v === undefined ? "–" : digits(d ? Number(v).toFixed(d) : Math.round(v));
const token = {get: () => sessionStorage.getItem("navbat.hq.token"),
  set: (v) => v ? sessionStorage.setItem("navbat.hq.token", v) : sessionStorage.removeItem("navbat.hq.token")};
const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) node.setAttribute(k, v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : String(c));
  return node;
}

async function api(path, body) {
  const headers = {"Content-Type": "application/json"};
  if (token.get()) headers.Authorization = "Bearer " + token.get();
  const r = await fetch("/api/v1/hq" + path, body ? {method: "POST", headers, body: JSON.stringify(body)} : {headers});
  const data = await r.json();
  if (r.status === 401 && !body) { token.set(null); showLogin(); }
  if (!r.ok) throw Object.assign(new Error(data.message || r.status), {status: r.status});
  return data;
}

const FIGURES = {visitors: [0, false], visitors_per_window_hour: [1, false], mean_wait_min: [1, false], sla_pct: [0, true], complaints: [0, false],
                 satisfaction_pct: [0, true], inside_pct: [0, true], mean_error: [1, false]}; // [decimals, lowest first]
const state = {province: null, region: null, branch: null};
let data = {summary: null, branches: [], complaints: []};

// A group's figures from its rows: counts add up, means are weighted by their counts.
function combine(rows) {
  const sum = (k) => rows.reduce((s, r) => s + (r[k] || 0), 0);
  const weighted = (k, w) => { const n = rows.reduce((s, r) => s + (r[k] === null ? 0 : r[w]), 0);
    return n ? rows.reduce((s, r) => s + (r[k] === null ? 0 : r[k] * r[w]), 0) / n : null; };
  const hours = sum("open_hours");
  return {visitors: sum("visitors"), served: sum("served"), complaints: sum("complaints"),
          visitors_per_window_hour: hours ? sum("visitors") / hours : null,
          mean_wait_min: weighted("mean_wait_min", "called"), sla_pct: weighted("sla_pct", "judged"),
          satisfaction_pct: weighted("satisfaction_pct", "ratings"),
          // issue 24: the printed wait, how often it held (/hq/promises)
          inside_pct: weighted("inside_pct", "promises_judged"), mean_error: weighted("mean_error", "promises_judged")};
}

// the hub's release from its last batch (issue 22): which branches an upgrade has not reached yet
const release = (b) => (b.version ? ` · navbat ${b.version}` : "");

// a branch as people know it: by its name, not its id (issue 24)
// a complaint's sub-service by its branch's name for it (the code only if the branch sent no name)
const serviceName = (c) => (c.service_name && (c.service_name[N.lang] || c.service_name.en)) || c.service || "";

function branchName(id) {
  const b = data.branches.find((x) => x.branch === id);
  return b && b.name ? b.name[N.lang] || b.name.en || id : id;
}

function lagOf(id) {
  const b = data.branches.find((x) => x.branch === id);
  if (!b) return null;
  if (b.lag_s === null) return t("Never reported");
  return b.lag_s > LAG_S ? t("Lagging: no batch for {minutes} min", {minutes: num(b.lag_s / 60)}) : null;
}

function showLogin() { $("login").hidden = false; $("console").hidden = true; $("logout").hidden = true; }

function period() { const [from, to] = $("period").value.split("|"); return `from=${from}&to=${to}`; }

async function load() {
  try {
    const [summary, branches, complaints, reports] = await Promise.all([api("/summary?" + period()), api("/branches"),
      api("/complaints?" + period()), api("/submissions?month=" + $("late").dataset.month)]);
    data = {summary, branches: branches.branches, several: branches.phones_at_several_branches,
            complaints: complaints.complaints, reports};
    promised(await api("/promises?" + period()));
    render();
  } catch (err) {
    if (err.status !== 401) $("bars").replaceChildren(el("p", {class: "error"}, t("Could not load: {error}", {error: err.message})));
  }
}

// the printed wait's figures (issue 24) joined onto the summary's rows, by province and by branch
function promised(p) {
  const put = (row, f) => Object.assign(row, {inside_pct: f ? f.inside_pct : null, mean_error: f ? f.mean_error : null,
    promises_judged: f ? f.judged : 0});
  for (const row of data.summary.provinces) put(row, p.provinces.find((x) => x.key === row.province));
  for (const row of data.summary.branches) put(row, p.branches.find((x) => x.key === row.branch));
}

function groups() {
  const rows = data.summary.branches;
  if (!state.province) return data.summary.provinces.map((p) => ({key: p.province, label: p.province, f: p}));
  const inProvince = rows.filter((r) => r.province === state.province);
  if (!state.region) {
    const regions = [...new Set(data.branches.filter((b) => b.province === state.province).map((b) => b.region))];
    return regions.map((g) => ({key: g, label: g, f: combine(inProvince.filter((r) => r.region === g))}));
  }
  const known = data.branches.filter((b) => b.province === state.province && b.region === state.region);
  return known.map((b) => { const f = inProvince.find((r) => r.branch === b.branch);
    const name = b.name ? (b.name[N.lang] || b.name.en || b.branch) : b.branch;
    return {key: b.branch, label: name, f: f || null, lag: lagOf(b.branch)}; });
}

function render() {
  const figure = $("figure").value;
  const [decimals, lowFirst] = FIGURES[figure];
  const scope = !state.province ? data.summary.provinces : data.summary.branches.filter((r) =>
    r.province === state.province && (!state.region || r.region === state.region) && (!state.branch || r.branch === state.branch));
  const total = combine(scope);
  $("kpis").replaceChildren(...[["visitors", 0, "Visitors"], ["served", 0, "Served"], ["mean_wait_min", 1, "Mean wait (min)"],
    ["sla_pct", 0, "Within target"], ["complaints", 0, "Complaints"]].slice(0, 4).map(([k, d, label]) =>
    el("div", {class: "kpi"}, el("b", {}, num(total[k], d) + (k.endsWith("pct") ? "٪" : "")), el("span", {}, t(label)))));
  crumbs();
  $("detail").hidden = !state.branch;
  $("bars").hidden = !!state.branch;
  if (state.branch) return services();
  const items = groups();
  const value = (g) => g.f ? g.f[figure] : null;
  items.sort((a, b) => (value(a) === null) - (value(b) === null) || (lowFirst ? value(a) - value(b) : value(b) - value(a)));
  const top = Math.max(...items.map((g) => value(g) || 0), 1);
  $("bars-title").textContent = state.region ? t("Branch") : state.province ? t("Region") : t("Province");
  const shownOf = (g) => g.lag && !g.f ? g.lag : num(value(g), decimals) + (figure.endsWith("pct") && value(g) !== null ? "٪" : "");
  $("map-box").hidden = !!state.province; // provinces only: a province's regions have no outlines here
  if (!state.province) IranMap.paint(items.map((g) => ({key: g.key, label: g.label, value: value(g), shown: shownOf(g)})), top, drill);
  $("bars").replaceChildren(...items.map((g) => {
    const v = value(g);
    const shown = shownOf(g);
    return el("button", {class: g.lag ? "lag" : "", type: "button", title: g.lag || "", onclick: () => drill(g.key)},
      el("span", {class: "name"}, g.label),
      el("span", {class: "track"}, el("i", {style: `width:${v === null ? 0 : Math.max(2, 100 * v / top)}%`})),
      el("span", {class: "val"}, shown));
  }));
  $("lagging").replaceChildren(...data.branches.filter((b) => lagOf(b.branch) && (!state.province || b.province === state.province))
    .map((b) => el("li", {}, `${branchName(b.branch)} · ${b.province}: ${lagOf(b.branch)}` +
      (b.backlog ? " · " + t("Backlog {events} events", {events: num(b.backlog)}) : "") + release(b))));
  // branches whose hub keeps its relay link now: HQ takes turns and bookings for them (issue 18)
  // a second hub refused its poll (a stolen token, a hub left running) is named here (issue 23)
  const linked = data.branches.filter((b) => (b.relay_online || b.relay_refused) &&
    (!state.province || b.province === state.province));
  $("relay-online").replaceChildren(...(linked.length ? linked.map((b) => el("li", {}, `${branchName(b.branch)} · ${b.province} · ` +
    b.region + release(b) + (b.relay_refused ? " · " + t("A second hub was refused ({address})",
      {address: b.relay_refused.address}) : ""))) : [el("li", {class: "muted"}, t("No branch keeps its link to HQ now"))]));
  // issue 23: branches whose SMS budget nears its end (as their hub last shipped it), and phones with
  // open remote turns at more than one branch (allowed while HQ could not be asked)
  const spending = data.branches.filter((b) => b.sms_budget && b.sms_budget.state !== "ok"
    && (!state.province || b.province === state.province));
  $("sms-budgets").replaceChildren(...(spending.length ? spending.map((b) => el("li", {class: b.sms_budget.state},
    `${branchName(b.branch)} · ${b.province}: ` + t("SMS {percent} of the budget ({used} of {budget} this hour)", {
      percent: num(b.sms_budget.percent) + "٪", used: num(b.sms_budget.hour.used),
      budget: num(b.sms_budget.hour.budget)}))) : [el("li", {class: "muted"}, t("No branch is near its SMS budget"))]));
  $("several-turns").textContent = data.several ? t("{count} phones hold open turns at more than one branch",
    {count: num(data.several)}) : "";
  const missing = data.reports.missing.filter((b) => !state.province || b.province === state.province);
  $("late-summary").textContent = missing.length ? t("{count} branches have not submitted (due {due})",
    {count: num(missing.length), due: new Intl.DateTimeFormat(N.lang === "fa" ? "fa-IR-u-ca-persian" : "en-GB",
      {dateStyle: "medium"}).format(new Date(data.reports.due))}) : t("Every branch has submitted");
  $("late").replaceChildren(...missing.slice(0, 20).map((b) => el("li", {}, `${branchName(b.branch)} · ${b.province} · ${b.region}` +
    (data.reports.overdue ? " · " + t("late") : ""))));
  const said = data.complaints.filter((c) => !state.province || c.province === state.province);
  $("complaints").replaceChildren(...(said.length ? said.slice(0, 12).map((c) => el("li", {}, c.comment,
    el("small", {}, `${branchName(c.branch)} · ${serviceName(c)} · ${digits(c.score)}/۵`))) : [el("li", {class: "muted"}, t("No complaints with comments"))]));
}

function crumbs() {
  const parts = [el("button", {type: "button", onclick: () => up(0)}, t("All provinces"))];
  [state.province, state.region, state.branch].forEach((p, i) => { if (p) parts.push(el("span", {},
    el("button", {type: "button", onclick: () => up(i + 1)}, i === 2 ? branchName(p) : p))); });
  $("crumbs").replaceChildren(...parts);
}

function drill(key) {
  if (!state.province) state.province = key; else if (!state.region) state.region = key; else state.branch = key;
  render();
}

function up(level) {
  if (level < 3) state.branch = null;
  if (level < 2) state.region = null;
  if (level < 1) state.province = null;
  render();
}

async function services() {
  const rows = (await api(`/branches/${encodeURIComponent(state.branch)}/services?` + period())).services;
  const cols = [["visitors", 0], ["served", 0], ["mean_wait_min", 1], ["sla_pct", 0], ["complaints", 0]];
  $("bars-title").textContent = t("Sub-service");
  $("detail").tHead.replaceChildren(el("tr", {}, el("th", {}, t("Sub-service")),
    ...["Visitors", "Served", "Mean wait (min)", "Within target", "Complaints"].map((h) => el("th", {}, t(h)))));
  $("detail").tBodies[0].replaceChildren(...rows.map((r) => el("tr", {}, el("td", {}, r.name ? r.name[N.lang] || r.name.en : r.service),
    ...cols.map(([k, d]) => el("td", {class: "n"}, num(r[k], d) + (k.endsWith("pct") && r[k] !== null ? "٪" : ""))))));
}

$("login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const form = new FormData($("login"));
  try {
    token.set((await api("/login", {username: form.get("username"), pin: form.get("pin")})).token);
    start();
  } catch (err) { $("login-error").textContent = t("Wrong PIN or user"); }
});
$("logout").addEventListener("click", async () => {
  try { await api("/logout", {}); } catch (err) { /* already ended: forgetting it here is enough */ }
  token.set(null); showLogin();  // HQ forgot the token too: a copy of it no longer works
});
$("period").addEventListener("change", () => {
  $("downloads").hidden = !$("period").selectedOptions[0].dataset.month;
  load();
});
// The national (or the province's) monthly report, fetched with the token and saved as a file.
document.querySelectorAll("[data-download]").forEach((button) => button.addEventListener("click", async () => {
  const month = $("period").selectedOptions[0].dataset.month;
  const r = await fetch(`/api/v1/hq/report?month=${month}&format=${button.dataset.download}`,
    {headers: {Authorization: "Bearer " + token.get()}});
  if (!r.ok) return;
  const link = el("a", {href: URL.createObjectURL(await r.blob()), download: `navbat-${month}.${button.dataset.download}`});
  link.click();
  URL.revokeObjectURL(link.href);
}));
$("figure").addEventListener("change", () => data.summary && render());

async function start() {
  $("login").hidden = true; $("console").hidden = false; $("logout").hidden = false;
  await IranMap.load($("map")).catch(() => {}); // the map is a picture beside the bars: without it, bars alone
  load();
}
if (token.get()) start(); else showLogin();
setInterval(() => { if (token.get() && $("period").selectedIndex === 0) load(); }, 30000); // today: live
