// Shortcuts need Alt (WCAG 2.1.4: a stray key never acts) and can be turned off; they go by key
// position (KeyboardEvent.code), so they work with the Persian layout too. A shortcut whose
// button cannot act says why, in the hub's words for its refusal, rather than nothing at all.
import { $, S, say } from "./state.js";
import { shownActions, whyNot } from "./refusals.js";
import { undo } from "./actions.js";
import { hubAction } from "./view.js";

export function setUpShortcuts() {
  S.shortcuts = localStorage.getItem("navbat.shortcuts") !== "off";
  const apply = () => { $("shortcuts-on").checked = S.shortcuts; document.body.classList.toggle("no-shortcuts", !S.shortcuts); };
  $("shortcuts-on").addEventListener("change", () => {
    S.shortcuts = $("shortcuts-on").checked;
    localStorage.setItem("navbat.shortcuts", S.shortcuts ? "on" : "off");
    apply();
  });
  apply();

  document.addEventListener("keydown", (ev) => {
    if ($("console").hidden || !S.shortcuts || !ev.altKey || ev.ctrlKey || ev.metaKey || ev.shiftKey) return;
    if (ev.code === "KeyZ") { ev.preventDefault(); undo(); return; }
    const buttons = [...document.querySelectorAll(`#actions button[data-key="${ev.code}"]`)].filter((b) => !b.hidden);
    if (!buttons.length) return;
    ev.preventDefault();
    const button = buttons.find((b) => !b.disabled);
    if (button) button.click();
    else if (!S.pending && S.view) say(whyNot(hubAction(buttons[0].dataset.action), shownActions()), true);
  });
}
