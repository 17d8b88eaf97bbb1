// The counter tablet (F2, S1): after "done" at this counter, faces to tap; nothing to read.
"use strict";
const COUNTER = N.counter;
let pending = null;
let thanksTimer = null;

function show(id) {
  for (const part of ["idle", "rate", "thanks"]) document.getElementById(part).hidden = part !== id;
}

async function check() {
  if (thanksTimer) return;
  try {
    const r = await fetch(`/api/v1/ratings/pending?counter=${COUNTER}`);
    pending = r.status === 200 ? await r.json() : null;
  } catch (err) {
    pending = null;
  }
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
  await fetch("/api/v1/ratings", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
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
