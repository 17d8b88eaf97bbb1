"""The touchscreen kiosk (Kivy): unit -> sub-service -> ticket in three touches (issue 6).

Screen logic lives in plain view-model classes (`kiosk.viewmodel`) that tests drive
without a window; `kiosk.app` is the thin Kivy layer with one .kv file per screen.
"""
