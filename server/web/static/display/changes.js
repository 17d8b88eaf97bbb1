// What moved in the units' summaries (an event's or queue.changed's "changes", asked for with
// ?changes=1: {"units": {"PR": {"waiting": 4}}}), applied to the summaries the wall keeps: a new
// list, each unit with its moved fields; a unit not read yet is added. The hub sends only this,
// not every field of every touched summary (issue 27).
"use strict";
window.applyUnitChanges = function (units, changes) {
  const moved = (changes && changes.units) || {};
  const known = new Set(units.map((u) => u.code));
  const added = Object.keys(moved).filter((code) => !known.has(code)).map((code) => ({ code, ...moved[code] }));
  return units.map((u) => (moved[u.code] ? { ...u, ...moved[u.code] } : u)).concat(added);
};
