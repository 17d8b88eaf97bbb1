// Issue 16: answer a request registered earlier (any counter's), by its tracking code.
import { $, api, fa, say, t } from "./state.js";
import { explain } from "./refusals.js";
import { failed } from "./actions.js";

export function setUpRequests() {
  $("answer-request").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const code = $("answer-code").value.trim().toUpperCase();
    try {
      const r = await api("POST", `/requests/${encodeURIComponent(code)}/answer`, { result: $("answer-result").value });
      say(t("Request {number} answered; the visitor sees the result with the tracking code.", { number: fa(r.number) }));
      $("answer-request").reset();
    } catch (e) {
      if (e.status === 401) return failed(e);
      say(explain(e), true);
      $(e.error === "bad_result" ? "answer-result" : "answer-code").focus();
    }
  });
}
