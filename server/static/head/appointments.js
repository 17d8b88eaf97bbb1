// Issue 18 B: the head's card of today's appointments (GET /api/v1/appointments/today), every minute.
"use strict";
(function () {
  const A = JSON.parse(document.getElementById("appointments-texts").textContent);
  const fill = (text, values) => Object.entries(values).reduce((s, [k, v]) => s.replace("{" + k + "}", v), text);

  async function refresh() {
    if (!auth.token || document.getElementById("console").hidden) return;
    let view;
    try { view = await api("GET", "/appointments/today"); } catch (err) { return; }
    const rows = view.slots.map((s) => el("tr", {}, el("td", {}, digits(s.start)), el("td", {}, num(s.booked)),
      el("td", {}, num(s.checked_in)), el("td", {}, num(s.no_show)), el("td", {}, num(s.cancelled))));
    document.querySelector("#appointments-slots tbody").replaceChildren(...rows);
    document.getElementById("appointments-slots").hidden = rows.length === 0;
    const ns = view.no_show;
    const rate = ns.pct === null ? fill(A.no_rate, {days: digits(ns.days)})
      : fill(A.rate, {days: digits(ns.days), pct: num(ns.pct, 1) + PCT, n: num(ns.no_shows), due: num(ns.due)});
    document.getElementById("appointments-note").textContent = (rows.length ? "" : A.none + " ") + rate;
  }

  refresh();
  setInterval(refresh, 60000);
  document.getElementById("login").addEventListener("submit", () => setTimeout(refresh, 1000));
})();
