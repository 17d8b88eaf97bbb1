// Daily and monthly reports (D9) from /api/v1/reports/*: tables, charts, CSV/XLSX, print.
"use strict";

function label(obj) { return (obj && (obj[N.lang] || obj.en)) || ""; }

function jalaliToday() {
  try {
    const parts = new Intl.DateTimeFormat("en-US-u-ca-persian-nu-latn", {year: "numeric", month: "2-digit", day: "2-digit", timeZone: N.tz})
      .formatToParts(new Date());
    const get = (t) => parts.find((p) => p.type === t).value.replace(/\D/g, "");
    return {month: `${get("year")}-${get("month")}`, date: `${get("year")}-${get("month")}-${get("day")}`};
  } catch (err) {
    return {month: "", date: ""};
  }
}

// The date fields show the language's digits (Persian in fa); the API takes Latin ones.
const latin = (v) => Navbat.latinDigits(String(v).trim());

function query(form, format) {
  const daily = form.kind.value === "daily";
  const params = new URLSearchParams({format, lang: N.lang});
  if (daily && form.date.value) params.set("date", latin(form.date.value));
  if (!daily && form.month.value) params.set("month", latin(form.month.value));
  return `/reports/${daily ? "daily" : "monthly"}?${params}`;
}

const COLS = [
  ["visitors", "Visitors"], ["called", "Called"], ["mean_wait", "Mean wait", 1], ["p90_wait", "P90 wait", 1],
  ["within_target_pct", "Within target", 0, PCT], ["served", "Served"], ["mean_service", "Mean service", 1],
  ["no_shows", "No-shows"], ["transfers", "Transfers"], ["docs_incomplete_pct", "Documents incomplete", 0, PCT],
  ["ratings", "Ratings"], ["satisfaction", "Satisfaction", 1], ["satisfied_pct", "Satisfied", 0, PCT],
];
const WORK = new Set(["called", "served", "mean_service", "no_shows", "transfers", "docs_incomplete_pct", "ratings", "satisfaction", "satisfied_pct"]);

function table(id, first, rows, total, cols, withCode) {
  const cells = (r) => cols.map(([k, , d, suffix]) => el("td", {class: "n"}, r[k] === null ? "–" : num(r[k], d) + (suffix || "")));
  const node = document.getElementById(id);
  node.replaceChildren(
    el("thead", {}, el("tr", {}, el("th", {}, t(first)), cols.map(([, h]) => el("th", {}, t(h))))),
    el("tbody", {}, rows.map((r) => el("tr", {"data-key": r.key}, el("td", {}, withCode ? `${r.key} ${label(r.label)}` : label(r.label)), cells(r)))),
    total ? el("tfoot", {}, el("tr", {"data-key": "total"}, el("td", {}, t("Total")), cells(total))) : "");
}

async function load(form) {
  const err = document.getElementById("report-error");
  err.textContent = "";
  try {
    const r = await api("GET", query(form, "json"));
    render(r);
  } catch (e) {
    err.textContent = refusal(e);
  }
}

function render(r) {
  document.getElementById("report-title").textContent = `${r.period.title} · ${label(r.branch)}`;
  const tot = r.total;
  const kpi = (value, text) => el("div", {class: "kpi"}, el("b", {}, value), el("span", {}, text));
  document.getElementById("report-kpis").replaceChildren(
    kpi(num(tot.visitors), t("Visitors")), kpi(tot.mean_wait === null ? "–" : `${num(tot.mean_wait, 1)} ${t("min")}`, t("Mean wait")),
    kpi(tot.within_target_pct === null ? "–" : num(tot.within_target_pct) + PCT, t("Within target")),
    kpi(tot.satisfied_pct === null ? "–" : num(tot.satisfied_pct) + PCT, t("Satisfied")));
  document.getElementById("chart-hourly").replaceChildren(barChart(
    r.hourly.map((h) => ({label: digits(h.hour), a: h.arrivals, b: h.served})), [t("Arrivals"), t("Served")]));
  const second = document.getElementById("chart-daily");
  document.getElementById("chart-second-title").textContent =
    t(r.period.kind === "month" ? "Visitors and served per day" : "Visitors and served per unit");
  if (r.period.kind === "month") {
    // the month is a Jalali month: its days are labelled 1..30, not by the Gregorian dates they fall on
    second.replaceChildren(barChart(r.daily.map((d) => ({label: digits(Number(d.jalali.slice(8))), a: d.visitors, b: d.served})),
      [t("Visitors"), t("Served")]));
  } else {
    second.replaceChildren(barChart(r.units.map((u) => ({label: label(u.label).slice(0, 14), a: u.visitors, b: u.served})),
      [t("Visitors"), t("Served")]));
  }
  table("t-services", "Sub-service", r.services, r.total, COLS, true);
  table("t-units", "Unit", r.units, r.total, COLS);
  table("t-counters", "Counter", r.counters, null, COLS.filter(([k]) => WORK.has(k)));
  table("t-clerks", "Clerk", r.clerks, null, COLS.filter(([k]) => WORK.has(k)));
  if (r.channels) table("t-channels", "Channel", r.channels, r.total, COLS); // issue 18
  if (r.requests && r.requests.services) { // issue 16 (F3): opened and answered in the period
    const names = Object.fromEntries(r.services.map((s) => [s.key, s.label]));
    const rows = r.requests.services.map((x) => ({...x, key: x.code, label: names[x.code] || {en: x.code}}));
    table("t-requests", "Sub-service", rows, r.requests.total, REQUEST_COLS, true);
  }
  if (r.promises) { // issue 24: the printed range, called inside it? (server/reports/promises.py)
    const rows = r.promises.filter((x) => x.key !== "total");
    table("t-promises", "Sub-service", rows, r.promises.find((x) => x.key === "total"), PROMISE_COLS, true);
  }
}

const PROMISE_COLS = [["promised", "Promised"], ["judged", "Judged"],
  ["inside_pct", "Called inside the printed range", 0, PCT], ["mean_error", "Mean error of the estimate", 1]];

const REQUEST_COLS = [["opened", "Requests opened"], ["answered", "Answered"],
  ["on_time_pct", "Answered on time", 0, PCT], ["mean_days_to_answer", "Mean working days to answer", 1]];

async function download(form, format) {
  const err = document.getElementById("report-error");
  try {
    const blob = await api("GET", query(form, format));
    const a = el("a", {href: URL.createObjectURL(blob), download: `navbat-${latin(form.kind.value === "daily" ? form.date.value : form.month.value)}.${format}`});
    document.body.append(a);
    a.click();
    a.remove();
  } catch (e) {
    err.textContent = refusal(e);
  }
}

// A refusal in the head's language: the API's message is English, for logs and scripts.
function refusal(e) {
  const code = e.body && e.body.error;
  return code === "bad_period" ? t("Give a Jalali month such as 1404-07, or a Jalali day such as 1404-07-13.")
    : e.message;
}

document.querySelector("[data-print]").addEventListener("click", () => window.print());

setupLogin(() => {
  const form = document.getElementById("period");
  const today = jalaliToday();
  const params = new URLSearchParams(location.search);
  form.month.value = digits(params.get("month") || today.month);
  form.date.value = digits(params.get("date") || today.date);
  form.month.placeholder = digits(form.month.placeholder);
  form.date.placeholder = digits(form.date.placeholder);
  if (params.get("date")) form.kind.value = "daily";
  form.addEventListener("submit", (ev) => { ev.preventDefault(); load(form); });
  for (const b of form.querySelectorAll("[data-download]")) b.addEventListener("click", () => download(form, b.dataset.download));
  load(form);
});
