// Requests answered later (issue 16: F1, F3) on the head's floor: open and overdue ones,
// oldest first, answered with a short result. Loads once the console shows, then every minute
// (a request turns late at midnight, with no event to say so).
"use strict";
(() => {
  const card = document.getElementById("requests-card");
  if (!card) return;
  const T = (key, values) => t(card.dataset["t" + key[0].toUpperCase() + key.slice(1)] || key, values);
  const services = {}, units = {};
  for (const u of N.units || []) {
    units[u.code] = u.name;
    for (const s of u.services) services[s.code] = s.name;
  }
  const jalali = (iso) => {
    try {
      return new Intl.DateTimeFormat(N.lang === "fa" ? "fa-IR-u-ca-persian" : "en-GB",
        {dateStyle: "medium", timeZone: "UTC"}).format(new Date(iso + "T00:00:00Z"));
    } catch (err) { return iso; }
  };
  const say = (text) => { document.getElementById("requests-message").textContent = text; };

  function stateText(r) {
    if (r.state === "overdue") return T("late", {days: digits(-r.days_left)});
    return r.days_left === 0 ? T("today") : T("left", {days: digits(r.days_left)});
  }

  function row(r) {
    const input = el("input", {type: "text", maxlength: "500", required: true,
      "aria-label": T("result", {number: digits(r.number)})});
    const form = el("form", {class: "answer", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api("POST", "/requests/" + encodeURIComponent(r.tracking_code) + "/answer", {result: input.value});
        say(T("answered", {number: digits(r.number)}));
        load();
      } catch (err) { say(T("failed", {error: err.message})); }
    }}, input, el("button", {type: "submit"}, T("answer")));
    return el("tr", {class: r.state === "overdue" ? "late" : null},
      el("td", {class: "n"}, digits(r.number)), el("td", {}, services[r.service] || r.service),
      el("td", {class: "n"}, jalali(r.due)),
      el("td", {}, el("b", {}, T(r.state)), " · ", stateText(r)), el("td", {}, form));
  }

  async function load() {
    let data;
    try { data = await api("GET", "/requests"); } catch (err) { return; }
    const rows = data.requests.map(row);
    document.querySelector("#requests tbody").replaceChildren(
      ...(rows.length ? rows : [el("tr", {}, el("td", {colspan: "5"}, T("none")))]));
    document.getElementById("requests-counts").replaceChildren(...[...data.units, ...data.services].map((c) =>
      el("li", {}, T("counts", {name: units[c.code] || services[c.code] || c.code, open: digits(c.open),
        overdue: digits(c.overdue)}))));
  }

  const console_ = document.getElementById("console");
  let timer = null;
  const watch = () => {
    clearInterval(timer);
    if (console_.hidden || !auth.token) return;
    load();
    timer = setInterval(load, 60000);
  };
  new MutationObserver(watch).observe(console_, {attributes: true, attributeFilter: ["hidden"]});
  watch();
})();
