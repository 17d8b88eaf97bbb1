"""The four screens: each copies what the view-model says into its properties and tiles.

Layout is in kiosk/kv/<screen>.kv; no decisions are made here.
"""

from __future__ import annotations

from kivy.properties import BooleanProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.modalview import ModalView
from kivy.uix.screenmanager import Screen
from kivy.uix.widget import Widget
from navbat.foundation.assets import ICONS
from navbat.foundation.persian import digits
from navbat.kiosk.viewmodel import KioskModel
from navbat.kiosk.widgets import KLabel, Tile

UNIT_COLOURS = {  # dark enough for white text at more than 7:1
    "premium": (0.0, 0.36, 0.33, 1), "insured": (0.05, 0.28, 0.63, 1), "registration": (0.29, 0.08, 0.55, 1),
    "pension": (0.11, 0.37, 0.13, 1), "finance": (0.45, 0.2, 0.0, 1),
}


class UnitTile(Tile):
    title = StringProperty("")
    icon = StringProperty("")
    waiting = StringProperty("")
    estimate = StringProperty("")


class InfoTile(BoxLayout):
    hint = StringProperty("")
    today = StringProperty("")


class ServiceTile(Tile):
    title = StringProperty("")
    detail = StringProperty("")
    available = BooleanProperty(True)


class PriorityTile(Tile):
    label = StringProperty("")
    selected = BooleanProperty(False)


class ProblemView(ModalView):
    message = StringProperty("")
    can_retry = BooleanProperty(False)


class HomeScreen(Screen):
    title = StringProperty("")
    hint = StringProperty("")
    problem = StringProperty("")
    can_retry = BooleanProperty(False)

    def show(self, vm: KioskModel, app: object) -> None:
        self.title = vm.branch_name() or vm.label("Loading…")
        self.hint = vm.label("Touch a unit to see its services.")
        self.problem = vm.message(vm.load_problem) if vm.load_problem else ""
        self.can_retry = bool(vm.load_problem and vm.load_problem.can_retry)
        grid = self.ids.grid
        grid.clear_widgets()
        grid.opacity = 0 if self.problem else 1
        if self.problem:
            return
        for card in vm.home_cards():
            icon = ICONS / card.icon if card.icon else None
            tile = UnitTile(code=card.code, title=card.title, waiting=card.waiting, estimate=card.estimate,
                            icon=str(icon) if icon and icon.exists() else "",
                            bg=UNIT_COLOURS.get(card.code, (0.05, 0.28, 0.63, 1)))
            tile.bind(on_release=lambda t: app.open_unit(t.code))
            grid.add_widget(tile)
        if len(grid.children) % 3:
            grid.add_widget(InfoTile(hint=self.hint, today=vm.today()))


class UnitScreen(Screen):
    title = StringProperty("")

    def show(self, vm: KioskModel, app: object) -> None:
        self.title = vm.unit_title()
        rows = self.ids.rows
        rows.clear_widgets()
        for row in vm.service_rows():
            detail = "  •  ".join(filter(None, (row.waiting, row.estimate))) if row.available else row.reason
            tile = ServiceTile(code=row.code, title=row.title, detail=detail, available=row.available)
            tile.bind(on_release=lambda t: app.open_service(t.code))
            rows.add_widget(tile)


class ServiceScreen(Screen):
    title = StringProperty("")
    expected = StringProperty("")
    busy = BooleanProperty(False)

    def show(self, vm: KioskModel, app: object) -> None:
        view = vm.service_view()
        self.title, self.busy = view.title, vm.busy
        wait = view.estimate if vm.alone else vm.label("Estimated wait: {range}").format(range=view.estimate)
        self.expected = f"{view.expected}  •  {wait}"
        steps = [f"{digits(i, vm.lang)}. {step}" for i, step in enumerate(view.steps, 1)]
        for box, heading, items in (
            (self.ids.documents, vm.label("Documents to bring"), [f"• {d}" for d in view.documents]),
            (self.ids.steps, vm.label("What happens at the counter"), steps),
        ):
            box.clear_widgets()
            box.add_widget(_item(heading, app.font_bold, "30sp"))
            for item in items:
                box.add_widget(_item(item, app.font, "26sp"))
            box.add_widget(Widget())  # pushes the list to the top
        grid = self.ids.priorities
        grid.clear_widgets()
        for option in view.priorities:
            tile = PriorityTile(code=option.code or "", label=option.label, selected=option.selected)
            tile.bind(on_release=lambda t: app.choose_priority(t.code or None))
            grid.add_widget(tile)


def _item(text: str, font: str, size: str) -> KLabel:
    """A line of a list that grows to the lines its text wraps to."""
    label = KLabel(logical=text, font_size=size, size_hint_y=None)
    label.font_name = font  # after the kv rule, which sets the regular face
    label.bind(texture_size=lambda lbl, ts: setattr(lbl, "height", ts[1] + 4))
    return label


class TicketScreen(Screen):
    number = StringProperty("")
    service = StringProperty("")
    ahead = StringProperty("")
    estimate = StringProperty("")
    note = StringProperty("")
    print_state = StringProperty("printing")
    countdown = StringProperty("")

    def show(self, vm: KioskModel, app: object) -> None:
        view = vm.ticket_view()
        self.number, self.service, self.ahead, self.estimate = view.number, view.service, view.ahead, view.estimate
        self.note = view.print_note
        self.print_state = {None: "printing", True: "ok", False: "failed"}[view.print_ok]
