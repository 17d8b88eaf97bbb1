// Shared by the head's pages: translation, Persian digits, the API with the head's token.
"use strict";
// The page's settings and texts, as data (<script type="application/json">): the CSP allows no inline script.
const N = JSON.parse(document.getElementById("navbat").textContent);
const FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
const PCT = N.lang === "fa" ? "٪" : "%";

function t(msgid, values) {
  let text = (N.strings && N.strings[msgid]) || msgid;
  for (const [k, v] of Object.entries(values || {})) text = text.replace("{" + k + "}", v);
  return text;
}

function digits(value) {
  const s = String(value);
  return N.lang === "fa" ? s.replace(/[0-9]/g, (d) => FA_DIGITS[d]).replace(".", "٫") : s;
}

function num(value, decimals) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  return digits(decimals ? Number(value).toFixed(decimals) : Math.round(value));
}

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : String(c));
  return node;
}

const auth = {
  get token() { return sessionStorage.getItem("navbat.head.token"); },
  set token(v) { v ? sessionStorage.setItem("navbat.head.token", v) : sessionStorage.removeItem("navbat.head.token"); },
};

class ApiError extends Error {
  constructor(status, body, retryAfter) {
    super((body && body.message) || "HTTP " + status);
    this.status = status; this.body = body; this.retryAfter = retryAfter;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (auth.token) headers.Authorization = "Bearer " + auth.token;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const r = await fetch("/api/v1" + path, {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
  if (r.status === 204) return null;
  const type = r.headers.get("Content-Type") || "";
  const data = type.includes("json") ? await r.json() : await r.blob();
  if (!r.ok) {
    if (r.status === 401) { auth.token = null; showLogin(); }
    throw new ApiError(r.status, data, r.headers.get("Retry-After"));
  }
  return data;
}

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
      document.getElementById("login-error").textContent = err.status === 429
        ? t("Too many wrong PINs; try again in {seconds} s", {seconds: digits(err.retryAfter || "…")})
        : t("Wrong PIN or user");
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
