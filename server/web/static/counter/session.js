// Logging in at a counter with a PIN, logging out, and opening the console once logged in.
import { $, S, api, endSession, name, say, t } from "./state.js";
import { explain } from "./refusals.js";
import { commitPending } from "./actions.js";
import { connect } from "./live.js";
import { focusPrimary, refresh } from "./view.js";

const { el } = Navbat;

export async function showLogin() {
  $("console").hidden = true;
  $("logout").hidden = true;
  $("live").hidden = true;
  $("login").hidden = false;
  $("who").textContent = "";
  $("title-counter").textContent = "";
  try {
    const { counters } = await api("GET", "/counters");
    const select = $("counter");
    select.replaceChildren(select.options[0], ...counters.map((c) => el("option", { value: c.number },
      name(c.name) + " — " + t(c.state) + (c.clerk_name || c.clerk ? " — " + t("taken by {clerk}", { clerk: c.clerk_name || c.clerk }) : ""))));
    if (S.counter) select.value = S.counter;
  } catch (e) { say(explain(e), true); }
  $("username").focus();
}

/** The hub no longer knows this session (401): back to the login, saying so. */
export function sessionEnded() {
  endSession();
  showLogin();
  say(t("Your session has ended: log in again."), true);
}

async function logIn(ev) {
  ev.preventDefault();
  try {
    const counter = Number($("counter").value);
    const r = await api("POST", "/login", { username: $("username").value.trim(), pin: $("pin").value, counter });
    S.token = r.token;
    S.counter = counter;
    sessionStorage.setItem("navbat.token", r.token);
    sessionStorage.setItem("navbat.counter", String(counter));
    $("pin").value = "";
    say("");
    await showConsole();
  } catch (e) {
    say(t("Log in failed") + ": " + explain(e), true);
    // back to the field to mend: the PIN after a wrong one, the counter when it is taken
    const field = { counter_taken: "counter", counter_required: "counter", bad_credentials: "pin" }[e.error];
    if (field) { $(field).focus(); if (field === "pin") $("pin").select(); }
  }
}

async function logOut() {
  await commitPending();
  try { await api("POST", "/logout"); } catch (e) { /* the session ends here anyway */ }
  endSession();
  say("");
  showLogin();
}

export async function showConsole() {
  try {
    const me = await api("GET", "/me");
    if (me.counter) S.counter = me.counter;
    $("who").textContent = t("Clerk") + ": " + (me.display_name || me.name); // their name, not their login
    [S.branch, S.services] = await Promise.all([api("GET", "/branch"), api("GET", "/services").then((r) => r.services)]);
  } catch (e) {
    if (e.status === 401) { endSession(); return showLogin(); }
    say(explain(e), true);
    return;
  }
  // transfer never goes to a default nobody chose: the list starts at "choose"
  $("transfer-to").replaceChildren(el("option", { value: "" }, t("Choose a sub-service")),
    ...S.branch.units.map((u) => el("optgroup", { label: name(u.name) }, u.services.map((code) => {
      const s = S.services.find((x) => x.code === code);
      return el("option", { value: code }, s ? name(s.name) : code);
    }))));
  $("login").hidden = true;
  $("console").hidden = false;
  $("logout").hidden = false;
  $("live").hidden = false;
  connect();
  await refresh();
  focusPrimary();
}

export function setUpSession() {
  $("login").addEventListener("submit", logIn);
  $("logout").addEventListener("click", logOut);
  if (S.token) showConsole(); else showLogin();
}
