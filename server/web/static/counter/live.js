// The hub's live events: any change on the floor makes the console read its counter and the
// sub-services' waits again (once for a burst); the header says whether the stream is live.
import { $, S, api, t } from "./state.js";
import { refresh } from "./view.js";
import { hubBack, streamDropped } from "./outage.js";

let timer = null;

export function connect() {
  if (S.source) S.source.close();
  // EventSource cannot send headers: the session token goes in the query, and earns this
  // console a stream slot anonymous subscribers cannot take.
  const source = (S.source = new EventSource("/api/v1/events?token=" + encodeURIComponent(S.token || "")));
  const live = (on) => { $("live").className = "live " + (on ? "on" : "off"); $("live").textContent = on ? t("Live") : t("Offline"); };
  source.onopen = () => { live(true); hubBack(); };
  source.onerror = () => { // EventSource retries by itself, unless the hub refused the stream (503)
    live(false);
    streamDropped();
    if (source.readyState === 2) setTimeout(() => { if (S.source === source && S.token) connect(); }, 30000); // CLOSED
  };
  for (const type of Navbat.FLOOR_EVENTS) {
    source.addEventListener(type, () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try { S.services = (await api("GET", "/services")).services; } catch (e) { return; }
        await refresh();
      }, 150);
    });
  }
}
