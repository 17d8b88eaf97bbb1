// Made by `python -m navbat.server.web.event_types_js` from navbat/foundation/event_types.py:
// do not edit.
// The hub's event types by name (EVENT_TYPES.TICKET_CALLED is "ticket.called"); a classic script
// or a module may load it: it sets one global.
globalThis.EVENT_TYPES = Object.freeze({
  APPOINTMENT_BOOKED: "appointment.booked",
  APPOINTMENT_CANCELLED: "appointment.cancelled",
  APPOINTMENT_CHECKED_IN: "appointment.checked_in",
  APPOINTMENT_SHARES_SET: "appointment.shares_set",
  COUNTER_CHANGED: "counter.changed",
  DEVICE_STATUS: "device.status",
  LEASE_EXPIRED: "lease.expired",
  LEASE_GRANTED: "lease.granted",
  LEASE_MERGED: "lease.merged",
  LEASE_RETURNED: "lease.returned",
  QUEUE_CHANGED: "queue.changed",
  REMOTE_CALL_SENT: "remote.call_sent",
  REMOTE_COME_NOW: "remote.come_now",
  REQUEST_ANSWERED: "request.answered",
  REQUEST_OPENED: "request.opened",
  SETTINGS_CHANGED: "settings.changed",
  TICKET_CALLED: "ticket.called",
  TICKET_CANCELLED: "ticket.cancelled",
  TICKET_CHECKED_IN: "ticket.checked_in",
  TICKET_DONE: "ticket.done",
  TICKET_ISSUED: "ticket.issued",
  TICKET_NO_SHOW: "ticket.no_show",
  TICKET_PASSED_OVER: "ticket.passed_over",
  TICKET_PROMISED: "ticket.promised",
  TICKET_RECALLED: "ticket.recalled",
  TICKET_STARTED: "ticket.started",
  TICKET_TRANSFERRED: "ticket.transferred",
  TICKET_UNCALLED: "ticket.uncalled",
});
