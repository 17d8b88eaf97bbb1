// The clerk's console: log in with a PIN at a counter, then call, recall, start, finish, mark a
// no-show, transfer, pause. Plain JavaScript modules against the JSON API, one job each:
// state.js (the session and the view), refusals.js (the hub's refusals in words), view.js
// (drawing what the hub sent), actions.js (the actions and their undo), session.js (login),
// live.js (the event stream), outage.js (the band while the hub does not answer), shortcuts.js,
// requests.js and checkin.js (the two side forms).
// What the counter may do is the hub's word (`actions` on its view): no rule is kept here.
import { $, S } from "./state.js";
import { act, commitPending, undo } from "./actions.js";
import { render } from "./view.js";
import { setUpCheckIn } from "./checkin.js";
import { setUpRequests } from "./requests.js";
import { setUpSession } from "./session.js";
import { setUpShortcuts } from "./shortcuts.js";

for (const b of document.querySelectorAll("#actions button[data-action]")) {
  b.addEventListener("click", () => act(b.dataset.action));
}
$("undo").addEventListener("click", undo);
$("undo-now").addEventListener("click", () => commitPending());
window.addEventListener("pagehide", () => commitPending(true));
$("transfer-to").addEventListener("change", () => {
  if (S.view) render();
  $("transfer").disabled = $("transfer-to").disabled || !$("transfer-to").value;
});
setUpShortcuts();
setUpRequests();
setUpCheckIn();
setUpSession();
