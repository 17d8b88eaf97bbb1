"""Kivy widgets the screens share: a label that shapes and wraps Persian, and touch tiles.

Their look is in kiosk/kv/common.kv; only behaviour is here.
"""

from __future__ import annotations

from kivy.core.text import Label as CoreLabel
from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.behaviors import ButtonBehavior
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from navbat.foundation.shaping import wrap


class KLabel(Label):
    """Set `logical` (the text as written) and `rtl`; `text` is derived: wrapped to the width, shaped."""

    logical = StringProperty("")
    rtl = BooleanProperty(True)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self.fbind("logical", self._relayout)
        self.fbind("rtl", self._relayout)
        self.fbind("text_size", self._relayout)
        self.fbind("font_size", self._relayout)
        self.fbind("font_name", self._relayout)
        self._relayout()

    def _measure(self, text: str) -> float:
        return CoreLabel(font_name=self.font_name, font_size=self.font_size).get_extents(text)[0]

    def _relayout(self, *_args: object) -> None:
        # Kivy wraps at text_size (set in the .kv); we wrap the logical text first so it never has to.
        width = self.text_size[0] - self.padding[0] - self.padding[2] - 2 if self.text_size[0] else 0
        self.text = "\n".join(wrap(self.logical, width, self._measure, self.rtl))


class Tile(ButtonBehavior, BoxLayout):
    """A large touch target with a coloured background (drawn in common.kv)."""

    bg = ColorProperty((0.05, 0.24, 0.57, 1))
    pressed_bg = ColorProperty((0.02, 0.12, 0.3, 1))
    code = StringProperty("")
