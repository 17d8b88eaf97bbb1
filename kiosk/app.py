"""The Kivy layer of the kiosk: screens from kiosk/kv, state from KioskModel.

Everything that waits (the hub, the printer) runs on a worker thread; results come back
on Kivy's main thread through @mainthread, where the view-model changes and the screens
redraw. Import this module only after `kiosk.launch.configure()` has set up Kivy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock, mainthread
from kivy.core.window import Window
from kivy.lang import Builder
from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.screenmanager import NoTransition, ScreenManager
from navbat.foundation.assets import FONT_BOLD, FONT_REGULAR
from navbat.foundation.hub_client import HubRefused, HubUnreachable
from navbat.foundation.persian import digits
from navbat.kiosk import text, voice
from navbat.kiosk.checkin import CheckIn
from navbat.kiosk.checkin_screen import CHECKIN, CheckInScreen
from navbat.kiosk.leases import RETURN_WITHIN_S, LeaseKeeper
from navbat.kiosk.screens import HomeScreen, ProblemView, ServiceScreen, TicketScreen, UnitScreen
from navbat.kiosk.viewmodel import HOME, SERVICE, TICKET, KioskModel
from navbat.kiosk.voice import Reader

KV = Path(str(files(__package__))) / "kv"  # package data
REFRESH_SECONDS = 15.0  # waiting counts and estimates on the home and unit screens
RETRY_SECONDS = 3.0  # while the hub cannot be reached


class KioskApp(App):
    lang = StringProperty("fa")
    rtl = BooleanProperty(True)
    font = StringProperty(FONT_REGULAR)
    font_bold = StringProperty(FONT_BOLD)
    alone_text = StringProperty("")  # the kiosk issues from its leases: said on every screen (issue 26)

    def __init__(self, model: KioskModel, keeper: LeaseKeeper | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.vm = model
        self.keeper = keeper  # started with the app, stopped (its leases returned) when it stops
        self.lang, self.rtl = model.lang, model.lang == "fa"
        self.title = "Navbat kiosk"
        self.problem_view: ProblemView | None = None
        self.marks: dict[str, float] = {}  # perf_counter() times of milestones (benchmarks)
        self.reader = Reader()
        self._last_fetch = 0.0
        self.checkin = CheckIn(model.hub)  # "I have a turn" (issue 18 A)

    # ---- building -----------------------------------------------------------------
    def build(self) -> ScreenManager:
        for name in ("common", "home", "unit", "service", "ticket", "checkin"):
            Builder.load_file(str(KV / f"{name}.kv"))
        sm = ScreenManager(transition=NoTransition())
        for screen in (HomeScreen(), UnitScreen(), ServiceScreen(), TicketScreen(), CheckInScreen()):
            sm.add_widget(screen)
        self.vm.listeners.append(self.redraw)
        Window.bind(on_touch_down=lambda *_: self.vm.touch())
        Window.clearcolor = (0.96, 0.97, 0.98, 1)
        return sm

    def on_start(self) -> None:
        self.redraw()
        self.reload()
        Clock.schedule_interval(self._tick, 1.0)
        if self.keeper is not None:
            self.keeper.on_hub = mainthread(self.vm.hub_state)
            self.keeper.worker.start()

    def on_stop(self) -> None:
        if self.keeper is not None:
            self.keeper.worker.stop()
            self.keeper.worker.join(RETURN_WITHIN_S + 5.0)
        if self.vm.printer is not None:
            self.vm.printer.stop()

    def tr(self, msgid: str, lang: str) -> str:
        """A fixed label in `lang` (kv rules pass app.lang so they redraw on the language toggle)."""
        return text.translator(lang)(msgid)

    # ---- threads ----------------------------------------------------------------
    def in_background(self, work: Callable[[], Any], done: Callable[[Any], None]) -> None:
        """Run `work` on a worker thread and hand its result (or exception) to `done` on the main thread."""
        deliver = mainthread(done)

        def run() -> None:
            try:
                result = work()
            except (HubUnreachable, HubRefused) as exc:
                result = exc
            deliver(result)

        threading.Thread(target=run, daemon=True).start()

    def reload(self) -> None:
        self._last_fetch = time.monotonic()
        self.in_background(self.vm.fetch, self.vm.finish_fetch)

    def _tick(self, _dt: float) -> None:
        self.vm.tick()
        since = time.monotonic() - self._last_fetch
        problem = self.vm.load_problem
        if self.vm.screen != TICKET and not self.vm.busy and (
                since >= REFRESH_SECONDS or (problem and problem.can_retry and since >= RETRY_SECONDS)):
            self.reload()
        if self.vm.screen == TICKET:
            left = round(self.vm.time_left())
            self.root.get_screen("ticket").countdown = self.tr("Going back to the start in {seconds} s",
                                                               self.lang).format(seconds=digits(left, self.lang))

    # ---- what the visitor does (bound in the .kv files and screens) -----------------
    def open_unit(self, code: str) -> None:
        self.vm.open_unit(code)

    def open_service(self, code: str) -> None:
        self.vm.open_service(code)

    def choose_priority(self, code: str | None) -> None:
        self.vm.choose_priority(code)

    def go_back(self) -> None:
        self.vm.back()

    def go_home(self) -> None:
        self.vm.home()

    def toggle_lang(self) -> None:
        self.vm.toggle_lang()

    def read_aloud(self) -> None:
        """The speaker button on every screen: what this screen, in its state, asks of the visitor."""
        state, number = voice.guide(self.vm, self.checkin)
        self.reader.read(state, self.vm.lang, number)

    def take_ticket(self) -> None:
        self.marks["touch"] = time.perf_counter()
        job = self.vm.begin_ticket()
        if job is None:
            return  # a double tap, or a request already under way
        self.in_background(lambda: self._request_and_queue(job), self._ticket_answered)

    def _request_and_queue(self, job: tuple[str, str | None, str]) -> Any:
        """Worker thread: ask the hub, and queue the paper before the screen redraws."""
        result = self.vm.request_ticket(job)
        if isinstance(result, dict):
            self.vm.submit_print(result)
        return result

    def _ticket_answered(self, result: dict[str, Any] | Exception) -> None:
        ticket = self.vm.finish_ticket(result)
        if ticket is not None:
            self.marks["ticket"] = time.perf_counter()
            self.in_background(lambda: self.vm.print_ticket(ticket), lambda out: self._printed(ticket, out))

    def _printed(self, ticket: dict[str, Any], outcome: Any) -> None:
        self.marks["printed"] = time.perf_counter()
        self.vm.finish_print(ticket, outcome)

    # ---- "I have a turn" (issue 18 A) ------------------------------------------------
    def open_checkin(self) -> None:
        if self.vm.busy:
            return
        self.checkin.clear()
        self.vm.screen = CHECKIN
        self.vm.touch()
        self.vm.changed()

    def checkin_type(self, chars: str) -> None:
        self.vm.touch()
        self.checkin.type(chars)
        self.redraw()

    def checkin_erase(self) -> None:
        self.vm.touch()
        self.checkin.erase()
        self.redraw()

    def checkin_submit(self) -> None:
        self.vm.touch()
        code = self.checkin.begin()
        self.redraw()
        if code is not None:
            self.in_background(lambda: self.checkin.request(code), self._checked_in)

    def _checked_in(self, result: Any) -> None:
        self.checkin.finish(result)
        self.vm.touch()  # the answer stays on screen for the idle time, then home
        self.redraw()
        ticket = self.checkin.ticket
        if ticket is not None and self.vm.printer is not None:
            # the same slip as a walk-in's, marked with how the turn was taken (issue 24)
            self.in_background(lambda: self.vm.print_ticket(ticket), lambda out: self._checkin_printed(ticket, out))

    def _checkin_printed(self, ticket: dict[str, Any], outcome: Any) -> None:
        self.checkin.print_done(ticket, bool(outcome.printed))
        self.redraw()

    # ---- drawing -----------------------------------------------------------------
    def redraw(self) -> None:
        """Copy the view-model into the screens (main thread only)."""
        if self.root is None:
            return
        vm = self.vm
        if vm.lang != self.lang:
            self.lang, self.rtl = vm.lang, vm.lang == "fa"
        self.alone_text = vm.alone_text()
        screen = self.root.get_screen(vm.screen)
        screen.show(vm, self)
        self.root.current = vm.screen
        if vm.screen == HOME and vm.branch is not None and "home_ready" not in self.marks:
            self.marks["home_ready"] = time.perf_counter()
        self._show_problem(vm.problem if vm.screen == SERVICE else None)

    def _show_problem(self, problem: Any) -> None:
        if problem is None:
            if self.problem_view is not None:
                self.problem_view.dismiss(animation=False)
                self.problem_view = None
            return
        if self.problem_view is None:
            self.problem_view = ProblemView()
            self.problem_view.open(animation=False)
        self.problem_view.message = self.vm.message(problem)
        self.problem_view.can_retry = problem.can_retry
