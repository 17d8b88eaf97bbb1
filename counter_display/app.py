"""The Kivy layer: a wall display for the hall, or the screen above one counter.

Everything shown comes from a view-model (counter_display.viewmodel), kept in step with
the hub by counter_display.feed; this module only moves hub data in (on threads) and
view strings out (on the UI thread, @mainthread). Whether the hub is there is the
feed's `Watch` (the event stream and a GET /health each second): when it is gone the wall
turns grey with a band across it within about 2 s, and the big number is marked as the last one
known; when it is back, the wall re-reads the queue and the day's calls and is itself again.
"""

from __future__ import annotations

import sys
import threading
import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.lang import Builder
from kivy.properties import BooleanProperty, NumericProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.label import Label
from kivy.uix.screenmanager import NoTransition, Screen, ScreenManager
from kivy.uix.widget import Widget
from navbat.counter_display.announce import Announcement, AnnouncementQueue, Player
from navbat.counter_display.feed import Feed, Refresher, Watch
from navbat.counter_display.fit import FitText, overflow  # noqa: F401 - FitText: the kv's text class
from navbat.counter_display.viewmodel import CounterModel, WallModel
from navbat.foundation import event_types as E
from navbat.foundation.assets import FONT_REGULAR
from navbat.foundation.hub_client import HubClient, HubError, HubRefused
from navbat.foundation.hub_events import EventStream
from navbat.foundation.shaping import shaped

KV = Path(str(files(__package__))) / "kv"  # package data
FLASH_S = 4.0
PROBE_TIMEOUT = (1.0, 1.0)  # GET /health: a hub that takes longer than this is as good as gone
STREAM_MAX_RETRY_S = 2.0  # back on the wall soon after the hub is
# The angle of the drawn arrow (pointing right at 0) for each direction of the branch file, as
# seen on the wall: never mirrored for a right-to-left screen.
ANGLES = {"right": 0, "ahead": 90, "upstairs": 90, "left": 180, "behind": 270, "downstairs": 270}


def log(message: str) -> None:
    print(f"navbat display: {message}", flush=True)  # one line per happening; tests read these


class Arrow(Widget):
    angle = NumericProperty(0)


class PreviousRow(BoxLayout):
    pass


class UnitBox(BoxLayout):
    name = StringProperty("")
    waiting = StringProperty("")
    estimate = StringProperty("")


class WallScreen(Screen):
    branch = StringProperty("")
    date_clock = StringProperty("")
    status = StringProperty("")
    now_label = StringProperty("")
    number = StringProperty("")
    counter_line = StringProperty("")
    previous_label = StringProperty("")
    waiting_label = StringProperty("")
    start_align = StringProperty("right")
    end_align = StringProperty("left")
    flash = BooleanProperty(False)
    offline = BooleanProperty(False)  # the whole screen says the hub is gone
    stale = BooleanProperty(False)  # the big number is the last one known
    stale_note = StringProperty("")
    direction = StringProperty("")  # "": no arrow
    arrow_angle = NumericProperty(0)

    def show(self, model: WallModel) -> None:
        v, lang = model.view(), model.lang
        rtl = lang == "fa"
        self.start_align, self.end_align = ("right", "left") if rtl else ("left", "right")
        # logical text: each FitText (counter_display/fit.py) wraps, shapes and sizes its own
        self.branch = v.branch
        self.show_clock(model)
        self.status = v.status
        self.offline, self.stale = not v.online, v.stale
        self.stale_note = v.labels["stale"]
        self.direction, self.arrow_angle = v.direction, ANGLES.get(v.direction, 0)
        self.now_label = v.labels["now"] if v.has_call else v.labels["none"]
        self.number = v.number
        self.counter_line = v.counter if v.has_call else ""
        self.previous_label = v.labels["previous"]
        self.waiting_label = v.labels["waiting"]
        prev = self.ids.previous
        prev.clear_widgets()
        for number, counter in v.previous:
            row = PreviousRow()
            row.ids.first.logical, row.ids.second.logical = number, counter
            if rtl:
                row.children.reverse()
            prev.add_widget(row)
        prev.add_widget(Widget())  # the room the rows leave stays below them
        units = self.ids.units
        units.clear_widgets()
        for u in (reversed(v.units) if rtl else v.units):
            units.add_widget(UnitBox(name=u.name, waiting=u.waiting, estimate=u.estimate))

    def show_clock(self, model: WallModel) -> None:
        v = model.view()
        self.date_clock = f"{v.date}   {v.clock}"


class CounterScreen(Screen):
    title = StringProperty("")
    state = StringProperty("")
    number = StringProperty("")
    ticket_label = StringProperty("")
    services_label = StringProperty("")
    status = StringProperty("")
    flash = BooleanProperty(False)

    def show(self, model: CounterModel) -> None:
        v, lang = model.view(), model.lang
        self.title, self.state = shaped(v.title, lang), shaped(v.state, lang)
        self.number, self.ticket_label = shaped(v.number, lang), shaped(v.ticket_label, lang)
        self.services_label, self.status = shaped(v.services_label, lang), shaped(v.status, lang)
        grid = self.ids.services
        grid.orientation = "rl-tb" if lang == "fa" else "lr-tb"
        grid.clear_widgets()
        for name in v.services:
            grid.add_widget(Label(text=shaped(name, lang), font_name=FONT_REGULAR, font_size="20sp"))


class DisplayApp(App):
    title = "Navbat display"
    u = NumericProperty(1.0)  # the wall's unit: its sizes were drawn for 1280x800 (kv/wall.kv)

    def __init__(self, hub_url: str, counter: int | None = None, lang: str = "fa",
                 voice_langs: tuple[str, ...] = ("fa",), player: Player | None = None,
                 screenshot: Path | None = None, screenshot_delay: float = 2.0, token: str | None = None,
                 display: str | None = None, screenshot_when: str = "loaded", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hub_url, self.counter, self.lang = hub_url, counter, lang
        self.token = token  # the display's device token: its stream takes a slot anonymous ones cannot
        self.hub = HubClient(hub_url)
        self.probe = HubClient(hub_url, timeout=PROBE_TIMEOUT)  # a session of its own: never behind a slow read
        self.wall = WallModel(lang, display=display) if counter is None else None
        self.counter_model = CounterModel(counter, lang) if counter is not None else None
        fetch = self._wall_data if self.wall else (lambda: self.hub.counter(self.counter))
        self.feed = Feed(self.wall or self.counter_model, Refresher(fetch, self._refreshed))
        self.watch = Watch(self.probe.health, self._status_from_thread)
        # "offline": the picture is taken once the hub is gone, and the app ends when it is back
        self.screenshot, self.screenshot_delay, self.screenshot_when = screenshot, screenshot_delay, screenshot_when
        self.shot_taken = False
        self.announcer = (AnnouncementQueue(player, voice_langs, on_start=self._on_announce)
                          if player is not None and counter is None else None)
        self.stream: EventStream | None = None
        self.loaded = False

    # ---- Kivy life cycle ----------------------------------------------------------

    def build(self) -> ScreenManager:
        from kivy.core.window import Window

        Window.bind(size=self._resized)
        self._resized(Window, Window.size)
        Builder.load_file(str(KV / ("wall.kv" if self.wall else "counter.kv")))
        sm = ScreenManager(transition=NoTransition())
        self.screen = WallScreen(name="wall") if self.wall else CounterScreen(name="counter")
        if self.lang == "fa":
            rows = ("top", "middle", "counter_row") if self.wall else ("top",)
            for row in rows:
                self.screen.ids[row].children.reverse()  # right to left: a row's first item sits on the right
        sm.add_widget(self.screen)
        return sm

    def _resized(self, _window: Any, size: tuple[int, int]) -> None:
        self.u = max(0.5, min(size[0] / 1280, size[1] / 800))

    def on_start(self) -> None:
        self.watch.start()
        self.stream = EventStream(self.hub_url, self._event_from_thread, self.watch.stream,
                                  max_retry_s=STREAM_MAX_RETRY_S, token=self.token, query="changes=1").start()
        threading.Thread(target=self._load, name="hub-load", daemon=True).start()
        if self.wall:
            Clock.schedule_interval(lambda _dt: self.screen.show_clock(self.wall), 1.0)  # the clock on the wall
        self._render()

    def on_stop(self) -> None:
        self.watch.stop()
        if self.stream:
            self.stream.stop()
        if self.announcer:
            self.announcer.close()

    # ---- hub data, off the UI thread -------------------------------------------------

    def _token_refusal(self) -> str | None:
        """The hub's refusal of this display's token (GET /me), or None; said on the first screen."""
        if not self.token:
            return None  # no token: its live events share the anonymous slots (navbat display --help)
        while True:
            try:
                me = HubClient(self.hub_url, self.token).me()
            except HubRefused as exc:
                return exc.code
            except HubError as exc:
                log(f"hub not reachable yet ({exc}); retrying")
                time.sleep(2)
                continue
            return None if me.get("role") == "display" else f"a {me.get('role')}'s token"

    @mainthread
    def _show_token_problem(self, code: str) -> None:
        (self.wall or self.counter_model).token_problem = code
        log(f"the hub refuses this display's token ({code}); make a new one with `navbat device add NAME --role "
            "display` and give it in NAVBAT_DISPLAY_TOKEN")
        self._render()

    def _load(self) -> None:
        """First picture: branch, waiting counts, what counters serve now; retried until the hub answers."""
        refused = self._token_refusal()
        if refused:
            self._show_token_problem(refused)
        while True:
            try:
                if self.wall:
                    data = (self.hub.branch(), self._wall_data(), self.hub.counters())
                else:
                    data = (None, self.hub.queue(), self.hub.counter(self.counter))
                break
            except HubError as exc:
                log(f"hub not reachable yet ({exc}); retrying")
                time.sleep(2)
        self._loaded(*data)

    def _wall_data(self) -> tuple[dict, list[dict]]:
        """The waiting counts and the day's calls: on start and after every outage (calls missed too)."""
        return self.hub.queue(), self.hub.calls(self.wall.history + 1)  # the hub's count once it said it

    @mainthread
    def _loaded(self, branch: dict | None, queue: Any, counters: Any) -> None:
        if self.wall:
            self.wall.load_branch(branch)
            self.wall.load_queue(queue[0])
            self.wall.load_calls(queue[1])
            self.wall.load_counters(counters)
        else:
            self.counter_model.load_services(queue["services"])
            self.counter_model.load_counter(counters)
        self.loaded = self.feed.loaded = True
        log("loaded")
        self._render()
        if self.screenshot and self.screenshot_when == "loaded":
            Clock.schedule_once(lambda _dt: self._take_screenshot(), self.screenshot_delay)

    @mainthread
    def _refreshed(self, data: Any) -> None:
        """A re-read from the Refresher's thread: the whole queue (wall) or this counter."""
        if self.wall:
            self.wall.load_queue(data[0])
            self.wall.load_calls(data[1])
        else:
            self.counter_model.load_counter(data)
        self._render()

    def _event_from_thread(self, event: dict) -> None:
        self._on_event(event)

    @mainthread
    def _on_event(self, event: dict) -> None:
        reaction = self.feed.event(event)
        if reaction.announce:
            log(f"call {reaction.announce.number} -> counter {reaction.announce.counter}"
                + (" (recall)" if reaction.announce.recall else ""))
            if self.announcer:
                self.announcer.say(reaction.announce)
            else:
                self._flash()
        if self.counter_model and reaction.refresh and event["type"] in (E.TICKET_CALLED, E.TICKET_RECALLED):
            self._flash()
        self._render()

    def _status_from_thread(self, online: bool) -> None:
        self._on_status(online)

    @mainthread
    def _on_status(self, online: bool) -> None:
        self.feed.status(online)
        log("connected to the hub" if online else "hub unreachable; reconnecting")
        self._render()
        if self.screenshot and self.screenshot_when == "offline":
            if not online and self.loaded and not self.shot_taken:
                self.shot_taken = True
                Clock.schedule_once(lambda _dt: self._take_screenshot(stop=False), self.screenshot_delay)
            elif online and self.shot_taken:
                self.stop()

    # ---- showing ------------------------------------------------------------------

    def _on_announce(self, announcement: Announcement) -> None:
        self._flash()  # from the announcer thread; _flash is @mainthread

    @mainthread
    def _flash(self) -> None:
        self.screen.flash = True
        Clock.unschedule(self._unflash)
        Clock.schedule_once(self._unflash, FLASH_S)

    def _unflash(self, _dt: float) -> None:
        self.screen.flash = False

    def _render(self) -> None:
        self.screen.show(self.wall or self.counter_model)

    def _take_screenshot(self, stop: bool = True) -> None:
        self.screenshot.parent.mkdir(parents=True, exist_ok=True)
        self.root.export_to_png(str(self.screenshot))
        if self.wall:  # what does not keep to its box (the layout test reads this line)
            from kivy.core.window import Window

            log(f"layout {Window.size[0]}x{Window.size[1]}: {overflow(self.root) or 'fits'}")
        shown = f"number={self.screen.ids.big_number.text!r}"
        if self.wall:  # what a test checks: the stale mark, the arrow, the previous calls (in order)
            v = self.wall.view()
            shown += f" stale={v.stale} direction={v.direction or '-'} previous={[n for n, _c in v.previous]}"
        log(f"screenshot {self.screenshot} shows {shown}")
        if stop:
            self.stop()


def run(hub_url: str, counter: int | None, lang: str, voice_langs: tuple[str, ...], player: Player | None,
        screenshot: Path | None = None, screenshot_delay: float = 2.0, token: str | None = None,
        display: str | None = None, screenshot_when: str = "loaded") -> int:
    """Window size and full screen are set through kivy.config before this module is imported."""
    DisplayApp(hub_url, counter, lang, voice_langs, player, screenshot, screenshot_delay, token=token,
               display=display, screenshot_when=screenshot_when).run()
    return 0


if __name__ == "__main__":  # python -m navbat.counter_display.app http://127.0.0.1:8080
    sys.exit(run(sys.argv[1], None, "fa", ("fa",), None))
