"""Wall and counter displays (issue 7): calls shown large, a chime and a spoken number.

Plain modules tests drive without a window: `speech` (number -> voice clips -> WAV),
`announce` (the queue that keeps announcements from overlapping), `events` (the SSE
client with Last-Event-ID), `viewmodel` (what the screens show), `led` (serial number
boards). `app` is the thin Kivy layer with one .kv file per screen under kv/.
"""
