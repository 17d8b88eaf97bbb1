"""`navbat display`: the hall's wall display, the screen above one counter, or an LED board."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("display", help="wall display (calls, voice), counter display or serial LED board")
    p.add_argument("--hub", default="http://127.0.0.1:8080", help="hub URL (default http://127.0.0.1:8080)")
    p.add_argument("--token", default=os.environ.get("NAVBAT_DISPLAY_TOKEN"),
                   help="the display's device token (`navbat device add hall --role display`; default "
                        "$NAVBAT_DISPLAY_TOKEN); without one its live events share the few anonymous slots")
    p.add_argument("--counter", type=int, metavar="N", help="the screen above counter N (its number, ticket, "
                   "sub-services) instead of the hall display")
    p.add_argument("--display", metavar="NAME", help="this wall's name in the branch file (displays[].name): "
                   "arrows to the counters from its directions; without it, no arrows")
    p.add_argument("--fullscreen", action="store_true")
    p.add_argument("--size", default="1280x800", metavar="WxH",
                   help="the window's size without --fullscreen (default 1280x800)")
    p.add_argument("--lang", choices=("fa", "en"), default="fa", help="screen language (default fa)")
    p.add_argument("--voice", default="fa", help="announcement languages in order, e.g. fa or fa,en; 'none' "
                   "for silence (default fa)")
    p.add_argument("--audio-out", type=Path, metavar="DIR", help="write each announcement as a WAV file to DIR "
                   "instead of playing it")
    p.add_argument("--screenshot", type=Path, metavar="PATH", help="save a PNG of the screen once loaded, then exit")
    p.add_argument("--screenshot-delay", type=float, default=2.0, metavar="S",
                   help="seconds after loading (or after losing the hub) before the screenshot (default 2)")
    p.add_argument("--screenshot-when", choices=("loaded", "offline"), default="loaded",
                   help="offline: picture the wall once the hub is gone, then exit when it is back")
    p.add_argument("--led", metavar="NAME", help="drive the serial LED board NAME from the branch file "
                   "(displays[].serial) instead of opening a window")
    p.add_argument("--config", default=None, help="branch file for --led (default config/branches.yaml)")
    p.set_defaults(run=run)


def _voice(text: str) -> tuple[str, ...]:
    if text == "none":
        return ()
    langs = tuple(part.strip() for part in text.split(",") if part.strip())
    bad = [lang for lang in langs if lang not in ("fa", "en")]
    if bad or not langs:
        raise ValueError(f"--voice takes fa, en, fa,en or none; not {text!r}")
    return langs


def run(args: argparse.Namespace) -> int:
    if not args.hub.startswith("http://"):
        print(f"navbat display: --hub must be an http:// URL, not {args.hub!r}", file=sys.stderr)
        return 2
    if args.led:
        return _run_led(args)
    try:
        voice = _voice(args.voice)
    except ValueError as exc:
        print(f"navbat display: {exc}", file=sys.stderr)
        return 2
    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
        if not (320 <= width <= 7680 and 240 <= height <= 4320):
            raise ValueError
    except ValueError:
        print(f"navbat display: --size takes WIDTHxHEIGHT in pixels, e.g. 1920x1080; not {args.size!r}",
              file=sys.stderr)
        return 2
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    from kivy.config import Config

    if args.fullscreen:
        Config.set("graphics", "fullscreen", "auto")
    else:
        Config.set("graphics", "width", str(width))
        Config.set("graphics", "height", str(height))
    from navbat.counter_display.announce import FilePlayer, KivyPlayer, SilentPlayer
    from navbat.counter_display.app import run as run_app

    if args.audio_out:
        player = FilePlayer(args.audio_out, realtime=True)
    elif voice:
        player = KivyPlayer()
    else:
        player = SilentPlayer()
    return run_app(args.hub, args.counter, args.lang, voice or ("fa",), player,
                   screenshot=args.screenshot, screenshot_delay=args.screenshot_delay, token=args.token,
                   display=args.display, screenshot_when=args.screenshot_when)


def _run_led(args: argparse.Namespace) -> int:
    from navbat.counter_display.led import LedBoard, LedFollower, open_serial
    from navbat.counter_display.ledrun import follow
    from navbat.foundation.config import load_config

    branch = load_config(args.config)
    cfg = next((d for d in branch.displays if d.name == args.led), None)
    if cfg is None or cfg.serial is None or cfg.counter is None:
        known = ", ".join(d.name for d in branch.displays if d.serial) or "none"
        print(f"navbat display: no serial LED display {args.led!r} with a counter in the branch file "
              f"(known: {known})", file=sys.stderr)
        return 2
    try:
        port = open_serial(cfg.serial.port, cfg.serial.baudrate)
    except Exception as exc:  # noqa: BLE001 - pyserial raises SerialException or OSError
        print(f"navbat display: cannot open {cfg.serial.port}: {exc}", file=sys.stderr)
        return 1
    follower = LedFollower(LedBoard(port, cfg.serial.protocol, address=cfg.counter), cfg.counter)
    # `systemctl stop` sends SIGTERM: leave the loop, close the stream and the port, exit 0 (not killed by it)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    return follow(args.hub, follower, stop=stop, token=args.token)
