"""The Kivy side of "I have a turn" (kiosk/checkin.py holds what it shows). While it is the current
screen, key presses reach it too: a USB barcode or QR scanner types the code like a keyboard and
ends with Enter."""

from __future__ import annotations

from typing import Any

from kivy.core.window import Window
from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.screenmanager import Screen
from navbat.kiosk.checkin import KEYS, CheckIn
from navbat.kiosk.widgets import Tile

CHECKIN = "checkin"
ENTER, KEYPAD_ENTER, BACKSPACE = 13, 271, 8
OK, PROBLEM, PLAIN = (0.04, 0.4, 0.18, 1), (0.6, 0.1, 0.05, 1), (0.07, 0.07, 0.07, 1)


class KeyTile(Tile):
    """One key of the on-screen keyboard: a letter or digit of the codes' alphabet."""

    label = StringProperty("")


class CheckInScreen(Screen):
    message = StringProperty("")
    code = StringProperty("")
    busy = BooleanProperty(False)
    message_colour = ColorProperty(PLAIN)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._app: Any = None

    def show(self, vm: Any, app: Any) -> None:
        model: CheckIn = app.checkin
        self._app = app
        self.code, self.busy = model.code, model.busy
        self.message = model.message(vm.lang)
        self.message_colour = OK if model.ticket else PROBLEM if model.problem else PLAIN
        keys = self.ids.keyboard
        if not keys.children:
            for ch in KEYS:
                tile = KeyTile(label=ch, code=ch)
                tile.bind(on_release=lambda t: app.checkin_type(t.code))
                keys.add_widget(tile)

    def on_enter(self, *_args: Any) -> None:
        Window.bind(on_textinput=self._text, on_key_down=self._key)

    def on_leave(self, *_args: Any) -> None:
        Window.unbind(on_textinput=self._text, on_key_down=self._key)

    def _text(self, _window: Any, text: str) -> None:
        if self._app is not None:
            self._app.checkin_type(text)

    def _key(self, _window: Any, key: int, *_rest: Any) -> bool:
        if self._app is None:
            return False
        if key in (ENTER, KEYPAD_ENTER):
            self._app.checkin_submit()
            return True
        if key == BACKSPACE:
            self._app.checkin_erase()
            return True
        return False
