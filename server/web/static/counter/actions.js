// The clerk's actions on the counter and its visitor. Done, documents incomplete, a registered
// request, no-show and transfer end a visit: each waits S.undoMs with an undo bar before it
// reaches the hub (any other action, or leaving the page, sends it at once). A call goes out at
// once (the wall announces it), so the hub takes it back: the undo bar offers that while the hub
// says the call may still be taken back.
import { $, S, api, fa, name, say, t } from "./state.js";
import { explain } from "./refusals.js";
import { focusPrimary, refresh, render, serviceOf } from "./view.js";
import { sessionEnded } from "./session.js";
import { actionLost } from "./outage.js";

const UNDOABLE = ["done", "incomplete", "registered", "no-show", "transfer"];
const OUTCOME = { done: "served", incomplete: "documents_incomplete", registered: "registered" };
const SAID = {
  done: "Finished {number}", incomplete: "{number}: documents incomplete, recorded",
  // registered: a request a back office answers later, with its due date (issue 16, F3)
  registered: "{number}: request registered; the visitor follows the answer with the tracking code",
  recall: "Recalled {number}", start: "Started {number}", "no-show": "{number} did not come",
  pause: "Counter paused", resume: "Counter open", open: "Counter open", close: "Counter closed",
};

function request(action) {
  const ticket = S.view && S.view.current_ticket;
  const ticketNumber = ticket ? ticket.number : null; // what an outage names as not recorded
  const number = ticket ? fa(ticket.number) : "";
  const path = `/counters/${S.counter}/`;
  if (action in OUTCOME) return { path: path + "done", body: { outcome: OUTCOME[action] }, text: t(SAID[action], { number }), ticketNumber };
  if (action === "transfer") {
    const to = $("transfer-to").value;
    return { path: path + "transfer", body: { service: to }, ticketNumber,
      text: t("{number} transferred to {service}", { number, service: name(serviceOf(to).name) }) };
  }
  return { path: path + action, body: undefined, text: t(SAID[action], { number }), ticketNumber };
}

/** A refusal in words; no answer at all means the hub is gone, and the band names the action as not recorded. */
export function failed(e, action, ticketNumber) {
  if (e.status === 401) { sessionEnded(); return; }
  if (e.status === 0 && action) { say(""); actionLost(action, ticketNumber); return; }
  say(explain(e), true);
}

export async function act(action) {
  if (S.pending) await commitPending(); // the visit before is over: send it first
  endUncall();
  if (UNDOABLE.includes(action)) return defer(action);
  let called = null;
  const ticket = S.view && S.view.current_ticket;
  try {
    if (action === "next") {
      called = await api("POST", `/counters/${S.counter}/next`);
      say(called ? t("Called {number}", { number: fa(called.number) }) : t("Nobody is waiting for this counter's sub-services."));
    } else {
      const { path, body, text } = request(action);
      await api("POST", path, body);
      say(text);
    }
  } catch (e) { failed(e, action, action === "next" ? null : ticket && ticket.number); }
  await refresh();
  if (called && S.view.actions.allowed.includes("uncall")) offerUncall(called);
  focusPrimary();
}

function defer(action) {
  const req = request(action);
  S.pending = { ...req, action, timer: setTimeout(commitPending, S.undoMs) };
  $("undo-text").textContent = req.text;
  $("undo-bar").hidden = false;
  say(req.text + " — " + t("Undo within a few seconds if this was a mistake."));
  render();
  $("undo").focus();
}

export async function commitPending(keepalive) {
  const p = S.pending;
  if (!p) return;
  clearTimeout(p.timer);
  S.pending = null;
  $("undo-bar").hidden = true;
  try {
    await api("POST", p.path, p.body, { keepalive });
    say(p.text);
  } catch (e) { failed(e, p.action, p.ticketNumber); }
  S.committed = (S.committed || 0) + 1;
  if (keepalive) return;
  await refresh();
  if (!document.activeElement || document.activeElement === document.body || document.activeElement.id === "undo") focusPrimary();
}

function offerUncall(ticket) {
  S.uncall = { number: ticket.number, timer: setTimeout(endUncall, S.uncallMs) };
  $("undo-text").textContent = t("Called {number}", { number: fa(ticket.number) });
  $("undo-now").hidden = true;
  $("undo-bar").hidden = false;
}

export function endUncall() {
  if (!S.uncall) return;
  clearTimeout(S.uncall.timer);
  S.uncall = null;
  $("undo-bar").hidden = true;
  $("undo-now").hidden = false;
}

async function uncall() {
  const number = S.uncall.number;
  endUncall();
  try {
    await api("POST", `/counters/${S.counter}/uncall`);
    say(t("Call taken back: {number} keeps their place in line.", { number: fa(number) }));
  } catch (e) { failed(e, "uncall", number); }
  await refresh();
  focusPrimary();
}

export function undo() {
  if (S.uncall) return uncall();
  const p = S.pending;
  if (!p) return;
  clearTimeout(p.timer);
  S.pending = null;
  $("undo-bar").hidden = true;
  say(t("Undone: {number} is still at the counter.", { number: fa(S.view.current_ticket.number) }));
  render();
  $(p.action).focus();
}
