"""The touchscreen kiosk (Kivy): unit -> sub-service -> ticket in three touches (issue 6).

The visitor's steps and the kiosk's state live in a plain view-model (`kiosk.viewmodel`),
what each screen shows in `kiosk.views` (worded from the hub's summaries); tests drive
both without a window. `kiosk.app` is the thin Kivy layer with one .kv file per screen.
"""
