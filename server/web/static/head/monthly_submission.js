// The head submits a finished month's report to headquarters with a note (D9).
"use strict";
(function () {
  const form = document.getElementById("submit-month");
  if (!form) return;
  const out = document.getElementById("submit-month-result");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    try {
      const r = await api("POST", "/head/monthly-submission", {month: data.get("month"), note: data.get("note") || null});
      out.className = "muted";
      out.textContent = form.dataset.done.replace("{time}", clockText(new Date(r.submitted_at))) +
        (r.on_time ? "" : " " + form.dataset.late);
    } catch (err) {
      out.className = "error";
      const code = err.body && err.body.error;
      out.textContent = (code && form.dataset[code]) || err.message;
    }
  });
})();
