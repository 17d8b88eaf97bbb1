// Every refusal in the clerk's words, with what to do next, by the hub's stable code; the hub's
// own (English) text only for what the console does not know.
import { S, t } from "./state.js";

const REFUSALS = {
  bad_credentials: "Wrong username or PIN. Check both and try again.",
  bad_credentials_format: "Wrong username or PIN. Check both and try again.",
  counter_required: "Choose your counter, then log in.",
  counter_taken: "Another clerk holds this counter. Choose your own counter, or ask the branch head to free it.",
  ticket_in_progress: "A visitor is still at the counter: finish, transfer or mark a no-show first.",
  counter_closed: "The counter is closed: open it first.",
  counter_paused: "The counter is paused: resume it first.",
  no_current_ticket: "There is no visitor at the counter.",
  same_service: "The visitor is already at that sub-service: choose another.",
  unreachable: "The hub did not answer; try again.",
  unknown_request: "No request has this tracking code: check it with the visitor.",
  already_answered: "This request was already answered with another result.",
  bad_result: "Write the result in a few words (at most 500 letters).",
  too_late_to_uncall: "Too late to take the call back: recall the visitor, or mark a no-show.",
  // why an action cannot be done now, as the hub ships it with the counter (its `actions.refused`)
  ticket_serving: "The visitor is already being served.",
  counter_open: "The counter is open already.",
};

/** The words for an API error (Navbat.ApiError). */
export function explain(e) {
  if (e.limited) return e.message; // a rate limit: the hub's words, in the console's language
  if (REFUSALS[e.error]) return t(REFUSALS[e.error]);
  return t("Not done ({message}). Try again, or ask the branch head.", { message: e.message });
}

/** Why a shortcut's button cannot act now: the hub's refusal for that action, in words. */
export function whyNot(action, actions) {
  const code = actions.refused[action];
  if (!code && action === "transfer") return t("Choose where to transfer the visitor first."); // allowed: none chosen
  return explain({ error: code, message: code || "" });
}

/** What the console's buttons follow: the hub's actions, or while a visit's end waits in the undo bar, what the hub said
 * the counter may do once it has ended. */
export function shownActions() {
  const a = S.view && S.view.actions;
  if (!a) return { allowed: [], refused: {}, primary: null };
  return S.pending && a.after_visit ? a.after_visit : a;
}
