// Shared by the head's pages: their settings, their login and the API with the head's token.
// Translation, digits, elements and the API client are the shared module's (shared/navbat.js).
"use strict";
// The page's settings and texts, as data (<script type="application/json">): the CSP allows no inline script.
const N = JSON.parse(document.getElementById("navbat").textContent);
const PCT = N.lang === "fa" ? "٪" : "%";
const t = Navbat.translator(N.strings);
const el = Navbat.el;
const digits = (value) => Navbat.digits(value, N.lang);

function num(value, decimals) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return digits(decimals ? Number(value).toFixed(decimals) : Math.round(value));
}

const auth = {
  get token() { return sessionStorage.getItem("navbat.head.token"); },
  set token(v) { v ? sessionStorage.setItem("navbat.head.token", v) : sessionStorage.removeItem("navbat.head.token"); },
};

// a 401 ends the session here: back to the login form
const api = Navbat.client({ token: () => auth.token, onUnauthorized: () => { auth.token = null; showLogin(); } });

function showLogin() {
  const form = document.getElementById("login");
  if (form) form.hidden = false;
  const main = document.getElementById("console");
  if (main) main.hidden = true;
  const out = document.getElementById("logout");
  if (out) out.hidden = true;
}

// Login form -> token -> onReady(); a stored token skips the form.
function setupLogin(onReady) {
  const form = document.getElementById("login");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const data = new FormData(form);
    try {
      const r = await api("POST", "/login", {username: data.get("username"), pin: data.get("pin")});
      auth.token = r.token;
      start();
    } catch (err) {
      // a rate limit: the hub's words, in the console's language
      document.getElementById("login-error").textContent = err.limited ? err.message : t("Wrong PIN or user");
    }
  });
  document.getElementById("logout").addEventListener("click", async () => {
    try { await api("POST", "/logout"); } catch (err) { /* already gone */ }
    auth.token = null;
    showLogin();
  });
  function start() {
    form.hidden = true;
    document.getElementById("console").hidden = false;
    document.getElementById("logout").hidden = false;
    onReady();
  }
  if (auth.token) start(); else showLogin();
}

function clockText(date) {
  const opts = {dateStyle: "medium", timeStyle: "short", timeZone: N.tz || "Asia/Tehran"};
  try {
    return new Intl.DateTimeFormat(N.lang === "fa" ? "fa-IR-u-ca-persian" : "en-GB", opts).format(date);
  } catch (err) {
    return date.toISOString();
  }
}
