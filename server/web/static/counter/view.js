// Drawing the counter as the hub last sent it (GET /counters/<n>): its buttons enabled from the
// hub's `actions` (allowed, refused and primary; the console adds no rule of its own), the
// visitor at the counter with the hub's words for why they were called, their documents, and
// the waiting at this counter's sub-services with the hub's words for each wait.
import { $, S, api, fa, lang, name, say, t } from "./state.js";
import { explain, shownActions } from "./refusals.js";
import { hubGone } from "./outage.js";

const { el } = Navbat;
// the console's buttons that end a visit in a particular way are the hub's "done" with an outcome
const HUB_ACTION = { incomplete: "done", registered: "done" };
export const hubAction = (action) => HUB_ACTION[action] || action;
export const serviceOf = (code) => S.services.find((s) => s.code === code);

export async function refresh() {
  try {
    S.view = await api("GET", "/counters/" + S.counter);
  } catch (e) {
    // no answer: the hub is gone; the visitor on screen stays (drawn again, a finishing visit included)
    if (e.status === 0) { hubGone(); if (S.view) render(); return; }
    say(explain(e), true);
    return;
  }
  render();
}

// Calling is the one action the whole hall sees and hears: focus never waits on "Next", so no
// Enter meant for something else calls a visitor (issue 24). The clerk presses it, or Alt+N.
export function focusPrimary() {
  const a = document.activeElement;
  if (a && (a.tagName === "TEXTAREA" || (a.tagName === "INPUT" && a.type !== "checkbox"))) return;
  const primary = shownActions().primary;
  if (!primary || primary === "next") { $("ticket-title").focus(); return; }
  const b = document.querySelector(`#actions button[data-action="${primary}"]`);
  if (b && !b.hidden && !b.disabled) b.focus();
}

export function render() {
  const v = S.view;
  const actions = shownActions();
  const can = (action) => actions.allowed.includes(hubAction(action));
  const ticket = S.pending ? null : v.current_ticket; // a finishing visit waits for undo: it is over here
  $("title-counter").textContent = "— " + name(v.name) + " (" + t(v.state) + ")";
  for (const b of document.querySelectorAll("#actions button[data-action]")) {
    b.disabled = !can(b.dataset.action);
    b.classList.toggle("primary", b.dataset.action === actions.primary);
  }
  // one place for the counter's own state: Open while it may open, Resume while paused, else Pause
  $("open").hidden = !can("open");
  $("resume").hidden = !can("resume");
  $("pause").hidden = can("resume");
  $("transfer-to").disabled = !can("transfer");
  if (!$("transfer-to").value) $("transfer").disabled = true; // nothing chosen: nothing to send
  $("no-ticket").hidden = !!ticket;
  $("ticket-body").hidden = !ticket;
  if (ticket) renderTicket(ticket);
  const key = ticket ? ticket.id + ":" + ticket.service : null;
  if (key !== S.transferFor) { S.transferFor = key; $("transfer-to").value = ""; $("transfer").disabled = true; }
  for (const o of $("transfer-to").querySelectorAll("option[value]:not([value=''])")) {
    o.disabled = !!ticket && o.value === ticket.service; // where the visitor is already
  }
  renderWaiting();
}

function renderTicket(ticket) {
  const svc = serviceOf(ticket.service);
  const p = ticket.priority && S.branch.priority_classes.find((c) => c.code === ticket.priority);
  $("ticket-number").textContent = fa(ticket.number);
  $("ticket-service").textContent = svc ? name(svc.name) + " (" + name(svc.unit_name) + ")" : ticket.service;
  $("ticket-priority").textContent = p ? name(p.name) : t("Regular");
  // how the turn was taken (issue 18): from a phone, by a booked time, or at the kiosk; the
  // clerk knows the visitor did not queue in the hall
  $("ticket-channel").textContent = ticket.remote ? t("Remote turn, checked in")
    : ticket.appointment ? t("appointment at {time}", { time: fa(ticket.appointment.start) }) : t("Kiosk");
  $("ticket-channel").classList.toggle("remote", !!ticket.remote || !!ticket.appointment);
  $("ticket-waited").textContent = fa(ticket.waited_minutes || 0) + " " + t("min");
  $("ticket-recalls").textContent = fa(ticket.recalls || 0);
  $("ticket-reason").textContent = name(ticket.reason_text); // the hub's words for the engine's reason
  renderDocuments(ticket, svc);
}

function renderDocuments(ticket, svc) {
  const key = ticket.id + ":" + ticket.service;
  const checks = (S.checks[key] = S.checks[key] || new Set());
  const docs = svc ? svc.documents : [];
  $("documents").replaceChildren(...docs.map((d, i) => {
    const box = el("input", { type: "checkbox" });
    box.checked = checks.has(i);
    box.addEventListener("change", () => { box.checked ? checks.add(i) : checks.delete(i); renderMissing(docs, checks); });
    return el("li", {}, el("label", {}, box, " ", name(d)));
  }));
  renderMissing(docs, checks);
}

function renderMissing(docs, checks) {
  const missing = docs.filter((_, i) => !checks.has(i)).map(name);
  $("missing").hidden = checks.size === 0; // nothing ticked yet: reception has not begun
  $("missing").textContent = missing.length
    ? t("Tell the visitor what is missing:") + " " + missing.join(lang === "fa" ? "، " : ", ")
    : t("All documents present");
}

function renderWaiting() {
  const rows = [...S.view.services].sort((a, b) => b.weight - a.weight).map((sk) => {
    const s = serviceOf(sk.code);
    return el("tr", { "data-service": sk.code, class: sk.weight < 1 ? "backup" : null },
      el("td", {}, s ? name(s.name) : sk.code),
      el("td", { class: "count" }, s ? fa(s.waiting) : "?"),
      el("td", {}, s ? name(s.wait_text) || "—" : "—")); // the hub's words for the wait
  });
  $("waiting").replaceChildren(...rows);
}
