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

  // The head's shares, in whole percent: a sub-service's own share where one is typed.
  const form = document.getElementById("shares-form");
  async function loadShares() {
    if (!auth.token) return;
    let view;
    try { view = await api("GET", "/appointments/shares"); } catch (err) { return; }
    form.elements["*"].value = Math.round(view.share * 100);
    for (const input of form.querySelectorAll(".shares-list input")) {  // blank: the share for all
      const own = view.own[input.name];
      input.value = own === undefined ? "" : Math.round(own * 100);
      input.placeholder = digits(Math.round(view.share * 100));
    }
  }
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const all = Number(form.elements["*"].value);
    const shares = {};
    for (const input of form.querySelectorAll(".shares-list input")) {
      if (input.value !== "") shares[input.name] = Number(input.value) / 100;
    }
    const out = document.getElementById("shares-error");
    try {
      await api("PUT", "/appointments/shares", {share: all / 100, shares});
      out.textContent = A.saved;
      await loadShares();
      refresh();
    } catch (err) { out.textContent = err.message; }
  });

  refresh();
  loadShares();
  setInterval(refresh, 60000);
  document.getElementById("login").addEventListener("submit", () => setTimeout(() => { refresh(); loadShares(); }, 1000));
})();
