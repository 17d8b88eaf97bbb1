// The clerk at reception checks in a turn taken from a phone (issue 18 A): the code typed or
// scanned (a QR link is cut to its code); if no remote turn has it, it is tried as a booking's
// (issue 18 B). With the console's session.
import { $, api, fa, t } from "./state.js";

function codeOf(typed) {
  const tail = typed.includes("/t/") ? typed.trim().split("/t/").pop() : typed.trim();
  return tail.split("?")[0].split("#")[0].replace(/\//g, "").toUpperCase();
}

async function checkIn(code) {
  try {
    return await api("POST", `/tickets/${code}/check-in`);
  } catch (e) {
    if (e.status !== 404) throw e;
    return api("POST", `/appointments/${code}/check-in`);
  }
}

export function setUpCheckIn() {
  const input = $("checkin-code"), out = $("checkin-result");
  $("checkin-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = encodeURIComponent(codeOf(input.value));
    if (!code) return;
    try {
      const r = await checkIn(code);
      out.className = "";
      out.textContent = t("{number} is checked in, in its place in line.", { number: fa(r.number) });
      input.value = "";
    } catch (e) {
      out.className = "error";
      out.textContent = e.status === 404 ? t("No turn or booking has this code.")
        : e.status === 409 ? t("This turn is over.") : e.message || t("The hub did not answer; try again.");
    }
  });
}
