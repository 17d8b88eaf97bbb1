// A device's token, given once in its address (/display?token=…, /rate/<n>?token=…): kept in
// localStorage under `key` and taken out of the address bar at once, so it is not left in the
// history or shown to whoever stands in front of the screen.
"use strict";
function keepDeviceToken(key) {
  const params = new URLSearchParams(location.search);
  const token = params.get("token");
  if (token) {
    localStorage.setItem(key, token);
    params.delete("token");
    const rest = params.toString();
    history.replaceState(null, "", location.pathname + (rest ? "?" + rest : "") + location.hash);
  }
  return localStorage.getItem(key);
}
