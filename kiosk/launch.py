"""Setting Kivy up before its window exists: environment, window size, full screen."""

from __future__ import annotations

import os

WIDTH, HEIGHT = 1280, 800  # the kiosk's screen in landscape (also the screenshots' size)


def configure(fullscreen: bool = False, width: int = WIDTH, height: int = HEIGHT) -> None:
    os.environ.setdefault("KIVY_NO_ARGS", "1")  # our own argparse owns the command line
    # SDL's real audio: the speaker button reads each screen aloud (S1). Tests and screenshots set
    # SDL_AUDIODRIVER=dummy themselves; defaulting to it here left every installed kiosk silent.
    from kivy.config import Config

    Config.set("kivy", "exit_on_escape", "0")  # a visitor's keyboard must not close the kiosk
    Config.set("input", "mouse", "mouse,disable_multitouch")
    if fullscreen:
        Config.set("graphics", "fullscreen", "auto")
    else:
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
    Config.set("graphics", "resizable", "0")
