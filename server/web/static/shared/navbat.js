// What every page's script shares, declared once: the hub's JSON API, building elements, the
// page's translated texts, Persian digits, a device's token and the names of the hub's live
// events (from shared/event_types.js, made from Python's: loaded just before this one). A plain
// script that defines one global, `Navbat`, loaded before the page's own scripts (the head's
// pages are plain scripts, the console's and the wall's are modules; both read it). The pages'
// CSP allows no inline script and no eval: nothing here needs either.
"use strict";
// eslint-disable-next-line no-unused-vars
const Navbat = (() => {
  const FA_DIGITS = "۰۱۲۳۴۵۶۷۸۹";
  const AR_DIGITS = "٠١٢٣٤٥٦٧٨٩";
  const pageLang = () => (document.documentElement.lang === "en" ? "en" : "fa");

  // ---- numbers and words -------------------------------------------------------------
  /** A number or a ticket number as the page's language writes it: Persian digits and decimal mark in fa. */
  function digits(value, lang) {
    const s = String(value);
    if ((lang || pageLang()) !== "fa") return s;
    return s.replace(/[0-9]/g, (d) => FA_DIGITS[d]).replace(/(\d|[۰-۹])\.(?=[۰-۹])/g, "$1٫");
  }

  /** What a visitor typed, in Latin digits (a Persian or Arabic keyboard gives its own). */
  function latinDigits(value) {
    return String(value).replace(/[۰-۹]/g, (d) => FA_DIGITS.indexOf(d)).replace(/[٠-٩]/g, (d) => AR_DIGITS.indexOf(d));
  }

  /** "{count} waiting" with its values; every {name} is replaced. */
  function fmt(text, values) {
    return String(text).replace(/\{(\w+)\}/g, (whole, k) => (values && k in values ? values[k] : whole));
  }

  /** t(msgid, values): the page's translation of an English message id (the hub sends the texts as JSON). */
  function translator(strings) {
    return (msgid, values) => fmt((strings && strings[msgid]) || msgid, values);
  }

  /** The texts a page carries as data: <script id="texts" type="application/json">. */
  function pageData(id) {
    const node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : {};
  }

  /** A name the hub sends in every language ({"fa": …, "en": …}), in the page's; Persian when missing. */
  function inLang(words, lang) {
    if (!words) return "";
    return words[lang || pageLang()] || words.fa || "";
  }

  // ---- elements -----------------------------------------------------------------------
  /** el("td", {class: "n", onclick: f}, "text", child…): an element; text is never parsed as HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue; // an attribute left out
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c.nodeType ? c : String(c));
    return node;
  }

  // ---- the hub's API --------------------------------------------------------------------
  /** A refusal or failure: the hub's {"error", "message"}, the HTTP status (0: no answer) and Retry-After.
   * `limited`: a rate limit (429), whose message is already the hub's words in the page's language. */
  class ApiError extends Error {
    constructor(status, body, retryAfter) {
      super((body && body.message) || (status ? "HTTP " + status : ""));
      this.status = status;
      this.body = body;
      this.error = (body && body.error) || (status ? "error" : "unreachable");
      this.retry = Number(retryAfter) || 0;
      this.retryAfter = retryAfter;
      this.limited = status === 429 && !!(body && body.retry_after);
    }
  }

  /** api(method, path, body, {keepalive}) against /api/v1, with the bearer token `token()` gives;
   * `onUnauthorized` runs on a 401 before the error is thrown. JSON in, JSON (or a file) out. */
  function client({ token, onUnauthorized, headers: extra } = {}) {
    return async function api(method, path, body, options) {
      // the page's language: a rate limit's words come back in it (the hub's catalogue, server/web/errors.py)
      const headers = { Accept: "application/json", "Accept-Language": pageLang(), ...(extra ? extra() : {}) };
      const bearer = token ? token() : null;
      if (bearer) headers.Authorization = "Bearer " + bearer;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      let r;
      try {
        r = await fetch("/api/v1" + path, { method, headers, cache: "no-store",
          body: body === undefined ? undefined : JSON.stringify(body), keepalive: !!(options && options.keepalive) });
      } catch (e) {
        throw new ApiError(0, null, 0);
      }
      if (r.status === 204) return null;
      const type = r.headers.get("Content-Type") || "";
      const data = type.includes("json") ? await r.json().catch(() => ({})) : r.ok ? await r.blob() : {};
      if (!r.ok) {
        if (r.status === 401 && onUnauthorized) onUnauthorized();
        throw new ApiError(r.status, data, r.headers.get("Retry-After"));
      }
      return data;
    };
  }

  /** A device's token, given once in its address (/display?token=…, /rate/<n>?token=…): kept in
   * localStorage under `key` and taken out of the address bar at once, so it is not left in the
   * history or shown to whoever stands in front of the screen. */
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

  // ---- the hub's live events ------------------------------------------------------------
  // The event types' names as Python defines them (foundation/event_types.py, exported to
  // shared/event_types.js as the global EVENT_TYPES): no page writes a name out.
  const EVENTS = globalThis.EVENT_TYPES;
  if (!EVENTS) throw new Error("shared/event_types.js must load before shared/navbat.js");
  // every event that changes a line or a counter (what a console or a wall re-reads on)
  const FLOOR_EVENTS = Object.freeze([EVENTS.TICKET_ISSUED, EVENTS.TICKET_CALLED, EVENTS.TICKET_RECALLED,
    EVENTS.TICKET_STARTED, EVENTS.TICKET_DONE, EVENTS.TICKET_NO_SHOW, EVENTS.TICKET_TRANSFERRED,
    EVENTS.TICKET_CANCELLED, EVENTS.TICKET_UNCALLED, EVENTS.COUNTER_CHANGED]);

  return Object.freeze({ digits, latinDigits, fmt, translator, pageData, inLang, el, ApiError, client,
    keepDeviceToken, EVENTS, FLOOR_EVENTS });
})();
