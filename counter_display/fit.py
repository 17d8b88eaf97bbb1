"""Text that keeps to its box on the wall, whatever the screen, the unit's name or the number of calls.

`FitText` holds the logical text (as typed, Persian or English), wraps it into at most `max_lines`
lines on the logical text (a wrapped Persian paragraph must not read from its last line up), shapes
each line, and shrinks its font until the lines fit its box. `overflow` lists what does not fit:
text larger than its box, and boxes that reach outside the window; the wall logs it with its
screenshot, and the layout test reads that line.
"""

from __future__ import annotations

from typing import Any

from kivy.clock import Clock
from kivy.core.text import Label as CoreLabel
from kivy.core.window import Window
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.label import Label
from navbat.foundation.shaping import wrap

MIN_FONT = 9  # px: below this a name is no longer read from across a hall; it is shown cut, and logged


class FitText(Label):
    logical = StringProperty("")
    rtl = BooleanProperty(True)
    max_font = NumericProperty(20)
    max_lines = NumericProperty(1)
    natural_width = NumericProperty(0)  # one line at max_font: what a box sized to its text asks for

    def __init__(self, **kwargs: Any) -> None:
        self._wanted_height = 0.0
        self._refit = Clock.create_trigger(self.fit, -1)
        super().__init__(**kwargs)
        self.bind(logical=self._refit, rtl=self._refit, max_font=self._refit, max_lines=self._refit,
                  size=self._refit, font_name=self._refit)

    def fit(self, *_args: Any) -> None:
        """The largest font up to `max_font` at which the text fits its box in `max_lines` lines."""
        width, height = self.width - 2 * self.padding_x, self.height - 2 * self.padding_y
        if self.logical:
            whole = CoreLabel(font_name=self.font_name, font_size=self.max_font)
            self.natural_width = whole.get_extents(self.logical)[0] + 2 * self.padding_x
        if not self.logical or width <= 1 or height <= 1:
            self.text = ""
            return
        size = float(self.max_font)
        while True:
            core = CoreLabel(font_name=self.font_name, font_size=size)
            lines = wrap(self.logical, width, lambda s, c=core: c.get_extents(s)[0], self.rtl)
            wide = max(core.get_extents(line)[0] for line in lines)
            tall = len(lines) * core.get_extents(self.logical)[1]  # the font's own line height
            if (len(lines) <= self.max_lines and wide <= width and tall <= height) or size <= MIN_FONT:
                break
            size = max(MIN_FONT, size * 0.92)
        self.font_size = size
        self.text = "\n".join(lines[: int(self.max_lines)])
        self._wanted_height = min(len(lines), int(self.max_lines)) * core.get_extents(self.logical)[1]

    def fits(self) -> bool:
        """Drawn whole and inside its box: Kivy drops the lines a box has no height for, so a
        texture shorter than the lines it was given lost some."""
        tw, th = self.texture_size
        return tw <= self.width + 2 and th <= self.height + 2 and th >= self._wanted_height - 2


def _name(w: Any) -> str:
    return f"{type(w).__name__}({getattr(w, 'logical', '') or getattr(w, 'text', '')!s:.24})"


def overflow(root: Any) -> list[str]:
    """What on this screen does not keep to its box: text larger than its widget, a widget outside its
    layout (rows that add up to more than their column spill over the next one) or outside the window."""
    problems = []
    win_w, win_h = Window.size
    for w in root.walk():
        if getattr(w, "opacity", 1) == 0 or w.width <= 0 or w.height <= 0:
            continue
        x, y = w.to_window(w.x, w.y)
        if x < -1 or y < -1 or x + w.width > win_w + 1 or y + w.height > win_h + 1:
            problems.append(f"{_name(w)} at {x:.0f},{y:.0f} {w.width:.0f}x{w.height:.0f} "
                            f"reaches outside {win_w}x{win_h}")
        parent = w.parent
        if parent is not None and parent is not Window and hasattr(parent, "to_window") and parent is not root:
            px, py = parent.to_window(parent.x, parent.y)
            if x < px - 1 or y < py - 1 or x + w.width > px + parent.width + 1 or y + w.height > py + parent.height + 1:
                problems.append(f"{_name(w)} at {x:.0f},{y:.0f} {w.width:.0f}x{w.height:.0f} spills out of "
                                f"{_name(parent)} at {px:.0f},{py:.0f} {parent.width:.0f}x{parent.height:.0f}")
        if isinstance(w, FitText) and w.text and not w.fits():
            tw, th = w.texture_size
            problems.append(f"{w.logical[:30]!r} needs {tw:.0f}x{th:.0f}, has {w.width:.0f}x{w.height:.0f}")
    return problems
