// The link to headquarters on /head: the backlog HQ has not acknowledged, refreshed every 15 s.
"use strict";
(function () {
  const box = document.getElementById("hq-link");
  if (!box) return;
  async function refresh() {
    if (!auth.token) return;
    let s;
    try { s = await api("GET", "/head/hq-link"); } catch (err) { return; }
    box.hidden = !s.configured;
    if (!s.configured) return;
    const behind = s.events + s.ratings;
    const text = behind ? box.dataset.behind.replace("{events}", num(s.events)).replace("{ratings}", num(s.ratings))
      : box.dataset.even;
    const line = document.getElementById("hq-backlog");
    line.textContent = text;
    line.className = behind ? "warn" : "";
    document.getElementById("hq-last").textContent = s.last_ok_at
      ? box.dataset.last.replace("{time}", clockText(new Date(s.last_ok_at))) : box.dataset.never;
  }
  refresh();
  setInterval(refresh, 15000);
})();
