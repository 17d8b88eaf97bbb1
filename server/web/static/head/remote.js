// Remote turns on /head (issue 18 A): settings, the last 30 days' turns, SMS failures; the
// budgets (issue 23) and the SMS budget's alarm.
// Loads once the console is shown (after the login) and every minute after.
"use strict";
(function () {
  const box = document.getElementById("remote");
  const form = document.getElementById("remote-form");
  const INTS = ["grace_minutes", "come_now_people", "come_now_minutes", "daily_cap"];
  const BUDGETS = ["sms_per_hour", "sms_per_day", "alarm_percent", "bookings_per_address_hour"];
  let timer = null;

  function fill(table, data, pct) {
    for (const cell of table.querySelectorAll("[data-k]")) {
      const v = data[cell.dataset.k];
      if (cell.dataset.k === "no_show_rate") cell.textContent = v === null ? "–" : num(v * 100) + PCT;
      else if (cell.dataset.k === "last_error") cell.textContent = v || box.dataset.none;
      else cell.textContent = num(v);
    }
  }

  // the SMS budget's use, and the alarm once it nears (the hub's alarm_percent) or is used
  function showBudget(b) {
    for (const cell of document.querySelectorAll("#sms-budget [data-k]")) {
      const part = b[cell.dataset.k];
      cell.textContent = num(part.used) + " / " + num(part.budget);
    }
    const alarm = document.getElementById("sms-alarm");
    alarm.hidden = b.state === "ok";
    alarm.textContent = b.state === "ok" ? "" : box.dataset[b.state] + " (" + num(b.percent) + PCT + ")";
  }

  async function load() {
    clearTimeout(timer);
    try {
      const [r, sms] = await Promise.all([api("GET", "/remote/settings"), api("GET", "/remote/sms-status")]);
      const s = r.settings;
      form.enabled.checked = s.enabled;
      form.hours.value = s.hours || "";
      for (const k of INTS) form[k].value = s[k] === null ? "" : s[k];
      fill(document.getElementById("remote-stats"), r.turns_30_days);
      for (const k of BUDGETS) form[k].value = r.budgets[k];
      form.address_day_share.value = Math.round(r.budgets.address_day_share * 100);
      fill(document.getElementById("sms-status"), sms);
      showBudget(sms.budget);
      document.getElementById("sms-status").classList.toggle("bad", sms.failed + sms.retrying > 0);
    } catch (err) { /* a 401 shows the login; anything else: the next tick tries again */ }
    timer = setTimeout(load, 60000);
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const body = {enabled: form.enabled.checked, hours: form.hours.value.trim() || null};
    for (const k of INTS) body[k] = form[k].value === "" ? null : Number(form[k].value);
    for (const k of BUDGETS) body[k] = Number(form[k].value);
    body.address_day_share = Number(form.address_day_share.value) / 100;
    document.getElementById("remote-error").textContent = "";
    document.getElementById("remote-saved").textContent = "";
    try {
      await api("PUT", "/remote/settings", body);
      document.getElementById("remote-saved").textContent = box.dataset.saved;
      load();
    } catch (err) { document.getElementById("remote-error").textContent = box.dataset.bad + " " + err.message; }
  });

  const consoleEl = document.getElementById("console");
  const started = () => { if (!consoleEl.hidden) load(); };
  new MutationObserver(started).observe(consoleEl, {attributes: true, attributeFilter: ["hidden"]});
  started();
})();
