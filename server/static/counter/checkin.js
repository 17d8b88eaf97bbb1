// The clerk at reception checks in a turn taken from a phone (issue 18 A): the code typed or
// scanned (a QR link is cut to its code); if no remote turn has it, it is tried as a booking's
// (issue 18 B). Uses the console's session token.
"use strict";
(function () {
  const T = JSON.parse(document.getElementById("texts").textContent);
  const FA = "۰۱۲۳۴۵۶۷۸۹";
  const fa = (s) => (document.documentElement.lang === "fa" ? String(s).replace(/[0-9]/g, (d) => FA[d]) : String(s));
  const form = document.getElementById("checkin-form"), input = document.getElementById("checkin-code");
  const out = document.getElementById("checkin-result");

  function codeOf(typed) {
    const tail = typed.includes("/t/") ? typed.trim().split("/t/").pop() : typed.trim();
    return tail.split("?")[0].split("#")[0].replace(/\//g, "").toUpperCase();
  }

  async function post(path) {
    const r = await fetch("/api/v1" + path, { method: "POST", cache: "no-store",
      headers: { Accept: "application/json", Authorization: "Bearer " + sessionStorage.getItem("navbat.token") } });
    return { status: r.status, body: await r.json().catch(() => ({})) };
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = encodeURIComponent(codeOf(input.value));
    if (!code) return;
    let r = await post(`/tickets/${code}/check-in`);
    if (r.status === 404) r = await post(`/appointments/${code}/check-in`);
    out.className = r.status < 300 ? "" : "error";
    if (r.status < 300) {
      out.textContent = T["{number} is checked in, in its place in line."].replace("{number}", fa(r.body.number));
      input.value = "";
    } else if (r.status === 404) out.textContent = T["No turn or booking has this code."];
    else if (r.status === 409) out.textContent = T["This turn is over."];
    else out.textContent = r.body.message || "HTTP " + r.status;
  });
})();
