// While the hub does not answer (its stream dropped, or an action got no answer): a band says so,
// the visitor on screen stays, and every action pressed meanwhile is named as NOT recorded. Nothing
// is queued to replay: the hub is the one truth, so the clerk decides again once it is back. The
// band goes when the hub answers again (the stream reopens, or a health read answers) and the
// console reads its counter from the hub afresh.
import { $, S, api, fa, say, t } from "./state.js";
import { refresh } from "./view.js";

const PROBE_MS = 2000; // a health read this often while the hub is gone (the stream retries as often)
// the words on each action's button, to name what was not recorded
const LABEL = {
  next: "Next", recall: "Recall", start: "Start", done: "Done", incomplete: "Documents incomplete",
  registered: "Register a request", "no-show": "No-show", transfer: "Transfer", pause: "Pause",
  resume: "Resume", open: "Open counter", close: "Close counter", uncall: "Undo",
};
let probe = null;
let notRecorded = []; // the lines said in the band, kept for the message once the hub is back

function drawBand() {
  const ticket = S.view && S.view.current_ticket;
  $("outage-stays").textContent = ticket
    ? t("{number} stays at your counter; nothing you press is recorded until the hub is back.", { number: fa(ticket.number) })
    : t("Nothing you press is recorded until the hub is back.");
  $("outage-lost").replaceChildren(...notRecorded.map((line) => Navbat.el("li", {}, line)));
  $("outage").hidden = false;
}

/** The hub gave no answer: say so, keep what is on screen, and look for its return. */
export function hubGone() {
  S.offline = true;
  drawBand();
  if (!probe) probe = setInterval(checkHub, PROBE_MS);
}

/** An action the hub never received: named in the band, never sent again by itself. */
export function actionLost(action, number) {
  const what = t(LABEL[action] || action);
  notRecorded.push(number
    ? t("“{action}” for {number} was not recorded; press it again when the hub is back.", { action: what, number: fa(number) })
    : t("“{action}” was not recorded; press it again when the hub is back.", { action: what }));
  hubGone();
}

async function checkHub() {
  try { await api("GET", "/health"); } catch (e) { if (e.status === 0) return; } // any answer: the hub is there
  await hubBack();
}

/** The stream dropped: a health read tells a gone hub from one that refused the stream. */
export async function streamDropped() {
  if (S.offline) return;
  try { await api("GET", "/health"); } catch (e) { if (e.status === 0) hubGone(); }
}

/** The hub answers again: the band goes and the counter is read from the hub, the one truth. */
export async function hubBack() {
  if (!S.offline) return;
  clearInterval(probe);
  probe = null;
  S.offline = false;
  const lost = notRecorded;
  notRecorded = [];
  $("outage").hidden = true;
  try { S.services = (await api("GET", "/services")).services; } catch (e) { /* refresh says why */ }
  await refresh();
  say([t("The hub is back; the counter was read again."), ...lost].join(" "), lost.length > 0);
}
