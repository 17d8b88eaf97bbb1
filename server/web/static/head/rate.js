// The counter tablet (F2, S1): after "done" at this counter, faces to tap; nothing to read.
// It rates with its own device token (role tablet, bound to this counter), given once as
// /rate/<n>?token=… and kept in localStorage; the token leaves the address bar at once.
"use strict";
const COUNTER = N.counter;
const TOKEN_KEY = `navbat.tablet.${COUNTER}`;
let pending = null;
let thanksTimer = null;

Navbat.keepDeviceToken(TOKEN_KEY);
const tablet = Navbat.client({token: () => localStorage.getItem(TOKEN_KEY)});  // the tablet's own token

function show(id) {
  for (const part of ["idle", "rate", "thanks"]) document.getElementById(part).hidden = part !== id;
}

async function check() {
  if (thanksTimer) return;
  let refused = false;
  try {
    pending = await tablet("GET", `/ratings/pending?counter=${COUNTER}`);  // 204: nobody to rate
  } catch (err) {
    refused = err.status === 401 || err.status === 403;
    pending = null;
  }
  document.getElementById("no-token").hidden = !refused;  // for whoever sets the tablet up
  if (pending) {
    if (document.getElementById("rate").hidden) resetForm(); // a new visitor starts with no face chosen
    document.getElementById("rate-ticket").textContent = digits(pending.number);
    show("rate");
  } else {
    show("idle");
  }
}

const form = document.getElementById("rate");
// a face chosen: the comment box and the send button come up; nothing is sent yet
form.addEventListener("change", (ev) => {
  if (ev.target.name !== "score") return;
  document.getElementById("comment-box").hidden = false;
  document.getElementById("send").hidden = false;
});

function resetForm() {
  form.reset();
  document.getElementById("comment-box").hidden = true;
  document.getElementById("send").hidden = true;
}

form.addEventListener("submit", async (ev) => {
  ev.preventDefault();
  if (!pending || !form.score.value) return;
  const body = {counter: COUNTER, ticket: pending.ticket, score: Number(form.score.value)};
  const comment = form.comment.value.trim();
  if (comment) body.comment = comment;
  try { await tablet("POST", "/ratings", body); } catch (err) { /* the visitor is thanked all the same */ }
  resetForm();
  pending = null;
  show("thanks");
  thanksTimer = setTimeout(() => { thanksTimer = null; check(); }, 4000);
});

const events = new EventSource("/api/v1/events");
for (const type of [Navbat.EVENTS.TICKET_DONE, Navbat.EVENTS.TICKET_CALLED, Navbat.EVENTS.COUNTER_CHANGED]) {
  events.addEventListener(type, (ev) => {
    const data = JSON.parse(ev.data);
    if (data.counter === COUNTER) check();
  });
}
events.onopen = check;
setInterval(check, 15000);
check();
