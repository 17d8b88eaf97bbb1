// The counter tablet (F2, S1): after "done" at this counter, faces to tap; nothing to read.
// It rates with its own device token (role tablet, bound to this counter), given once as
// /rate/<n>?token=… and kept in localStorage; the token leaves the address bar at once.
"use strict";
const COUNTER = N.counter;
const TOKEN_KEY = `navbat.tablet.${COUNTER}`;
let pending = null;
let thanksTimer = null;

keepDeviceToken(TOKEN_KEY);  // shared/device_token.js

function tabletHeaders(extra) {
  const token = localStorage.getItem(TOKEN_KEY);
  return token ? {...extra, Authorization: "Bearer " + token} : {...extra};
}

function show(id) {
  for (const part of ["idle", "rate", "thanks"]) document.getElementById(part).hidden = part !== id;
}

async function check() {
  if (thanksTimer) return;
  let refused = false;
  try {
    const r = await fetch(`/api/v1/ratings/pending?counter=${COUNTER}`, {headers: tabletHeaders(), cache: "no-store"});
    refused = r.status === 401 || r.status === 403;
    pending = r.status === 200 ? await r.json() : null;
  } catch (err) {
    pending = null;
  }
  document.getElementById("no-token").hidden = !refused;  // for whoever sets the tablet up
  if (pending) {
    document.getElementById("rate-ticket").textContent = digits(pending.number);
    show("rate");
  } else {
    show("idle");
  }
}

document.getElementById("rate").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!pending) return;
  const body = {counter: COUNTER, ticket: pending.ticket, score: Number(ev.submitter.value)};
  const comment = ev.target.comment.value.trim();
  if (comment) body.comment = comment;
  await fetch("/api/v1/ratings", {method: "POST", headers: tabletHeaders({"Content-Type": "application/json"}),
    body: JSON.stringify(body)});
  ev.target.comment.value = "";
  pending = null;
  show("thanks");
  thanksTimer = setTimeout(() => { thanksTimer = null; check(); }, 4000);
});

const events = new EventSource("/api/v1/events");
for (const type of ["ticket.done", "ticket.called", "counter.changed"]) {
  events.addEventListener(type, (ev) => {
    const data = JSON.parse(ev.data);
    if (data.counter === COUNTER) check();
  });
}
events.onopen = check;
setInterval(check, 15000);
check();
