"""Every display (issue 7): the hall's wall display, the screen above one counter, and the
serial LED number boards; calls shown large, a chime and a spoken number.

Plain modules tests drive without a window: `announce` (the queue that keeps
announcements from overlapping), `viewmodel` (what the screens show), `feed` (the
view-models kept in step with the hub's events, re-reading only when an event cannot be
applied by itself), `led` and `ledrun` (serial number boards). `app` is the thin Kivy
layer with one .kv file per screen under kv/. The web wall display (server/web/pages/display.py,
server/web/static/display/) and this one share the spoken WAV (foundation.speech), the SSE
client (foundation.hub_events) and the wording of waits (foundation.wording).
"""
