"""The house rules that code review alone lets slip: imports run one way (foundation and the
engine at the bottom, the commands on top, docs/architecture.md) and modules stay small."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# What each package may import of ours, besides itself.
ALLOWED = {
    "foundation": set(),
    "queueing": set(),
    "printer": {"foundation"},
    "server": {"foundation", "queueing"},
    "counter_display": {"foundation"},
    "kiosk": {"foundation", "printer"},
    # HQ computes a branch's figures with the branch's own report code (server.reports): the same
    # functions, not a copy that could drift; nothing of the branch imports hq.
    "hq": {"foundation", "queueing", "server"},
    "navbat": {"foundation", "queueing", "printer", "server", "counter_display", "kiosk", "hq"},
}
MAX_LINES = 400


def _modules() -> list[tuple[str, Path]]:
    return [(package, path) for package in ALLOWED for path in sorted((ROOT / package).rglob("*.py"))]


def _package(dotted: str) -> str:
    """Which of our folders a dotted name is in: installed, they all live under `navbat`
    (navbat.server is server/), and `navbat` alone is the commands' package."""
    parts = dotted.split(".")
    if parts[0] == "navbat" and len(parts) > 1 and parts[1] in ALLOWED:
        return parts[1]
    return parts[0]


def _imported(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out.update(_package(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "navbat":  # from navbat import queueing
                out.update(_package(f"navbat.{a.name}") for a in node.names)
            else:
                out.add(_package(node.module))
    return out


def test_imports_run_one_way() -> None:
    wrong = []
    for package, path in _modules():
        for top in _imported(path) & set(ALLOWED):
            if top != package and top not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {top}")
    assert not wrong, "\n".join(wrong)


def test_no_module_is_a_whole_application() -> None:
    long = [f"{path.relative_to(ROOT)}: {n} lines" for _, path in _modules()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, "\n".join(long)


def test_no_test_module_imports_another() -> None:
    """What tests share lives in conftest.py or a *_support.py module: importing a test module runs
    its module-level set-up again and copies its fixtures (a session fixture so copied is made once
    per importing module), and the two modules' tests then depend on each other's order."""
    wrong = []
    for path in sorted((ROOT / "tests").rglob("*.py")):  # tests/fixtures' scripts too
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            wrong += [f"{path.relative_to(ROOT)} imports {name}" for name in names
                      if name.split(".")[0].startswith("test_")]
    assert not wrong, "\n".join(wrong)


# The one place threads and processes are made for the hub and HQ (issue 25): every background part is a
# worker (start, stop, wake, health) the application owns. Devices (kiosk/, counter_display/, printer/)
# run on their own machines with their own loops and keep their threads; the engine's simulator
# (queueing/) and the commands are not servers.
WORKER_MODULES = {ROOT / "foundation" / "workers.py", ROOT / "foundation" / "worker_process.py"}
SERVERS = ("server", "hq")
MAKERS = {"Thread", "Process", "ThreadPoolExecutor", "ProcessPoolExecutor", "Timer", "Pool"}


def _makes_threads(path: Path) -> list[str]:
    """Calls like threading.Thread(...), Process(...), multiprocessing.get_context(...).Process(...)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in MAKERS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}(")
    return found


def test_threads_and_processes_only_through_the_worker_module() -> None:
    made = [hit for package in SERVERS for path in sorted((ROOT / package).rglob("*.py"))
            if path not in WORKER_MODULES for hit in _makes_threads(path)]
    assert not made, "make it a worker (foundation/workers.py):\n" + "\n".join(made)


def test_the_check_sees_a_thread() -> None:
    """The check above finds what it looks for: the worker modules themselves make threads and processes."""
    assert {h.split()[-1] for path in WORKER_MODULES for h in _makes_threads(path)} >= {"Thread(", "Process(",
                                                                                       "ThreadPoolExecutor("}


# ---- modules, not only packages (issue 25) ------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[0] == "navbat":
        parts = parts[1:]
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(["navbat", *parts])


MODULES = {_module_name(path): path for _, path in _modules()}


def _ours(dotted: str) -> str | None:
    """The module of ours a dotted name is (or is in), or None."""
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _typing_only(tree: ast.AST) -> set[int]:
    """Nodes under `if TYPE_CHECKING:`: for the type checker, never run."""
    return {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}


def _module_imports(path: Path) -> set[str]:
    """Every module of ours this one imports, at its top or inside a function (a cycle hides there)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip, me, out = _typing_only(tree), _module_name(path), set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            out.update(_ours(a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            for a in node.names:  # `from navbat.server import floor` imports the module navbat.server.floor
                full = f"{node.module}.{a.name}"
                out.add(full if full in MODULES else _ours(node.module))
    return out - {None, me}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan's algorithm, without recursion)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            nxt = next((w for w in edges if w not in index or w in on_stack), None)
            if nxt is not None and nxt not in index:
                index[nxt] = low[nxt] = len(index)
                stack.append(nxt)
                on_stack.add(nxt)
                work.append((nxt, iter(sorted(graph.get(nxt, ())))))
            elif nxt is not None:
                low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = []
                    while True:
                        w = stack.pop()
                        on_stack.discard(w)
                        group.append(w)
                        if w == node:
                            break
                    if len(group) > 1:
                        found.append(sorted(group))
    return found


def test_no_module_cycles() -> None:
    """Not even through an import inside a function (figures <-> channels and hq.api <-> hq.metrics
    hid there); imports only the type checker runs do not count."""
    graph = {name: _module_imports(path) for name, path in MODULES.items()}
    assert _cycles(graph) == []


def test_the_cycle_check_sees_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


# server/'s rooms: the floor knows nothing of visitors' channels, HQ or the web; the reports read
# only the floor; only the web imports the web (HQ, above the branch, reuses its ASGI guards).
ROOMS_MAY_NOT = {
    "floor": {"visitors", "hqlink", "web", "reports", "hub", "settings"},
    "reports": {"visitors", "hqlink", "web", "hub", "settings"},
    "visitors": {"web"},
    "hqlink": {"web"},
    "hub": {"web"},
    "settings": {"web"},
}


def _room(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["navbat", "server"] else None


def test_server_rooms_import_downwards() -> None:
    wrong = []
    for name, path in MODULES.items():
        room = _room(name)
        for other in _module_imports(path):
            if (there := _room(other)) and there != room and there in ROOMS_MAY_NOT.get(room, ()):
                wrong.append(f"{path.relative_to(ROOT)} imports {other}")
    assert not wrong, "\n".join(wrong)


def test_every_room_says_what_it_owns() -> None:
    rooms = [p for p in (ROOT / "server").iterdir() if (p / "__init__.py").is_file()]
    assert {p.name for p in rooms} >= {"floor", "visitors", "hqlink", "web", "reports"}
    silent = [p.name for p in rooms if not ast.get_docstring(ast.parse((p / "__init__.py").read_text()))]
    assert not silent


def _defined_private(tree: ast.AST) -> set[str]:
    """`_names` a module defines: functions, classes, assignments, attributes it sets."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            out.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            out.add(node.attr)
        elif isinstance(node, ast.arg):
            out.add(node.arg)
    return {n for n in out if n.startswith("_") and not n.startswith("__")}


# Libraries' protected names our code implements or reads: python-escpos' Escpos._raw/_read (each
# printer device implements them), threading.Semaphore's count.
LIBRARIES_OWN = {"_raw", "_read", "_value"}


def test_no_private_name_is_used_across_modules() -> None:
    """A `_name` is its module's own: no `from x import _name`, and no `thing._name` of a name
    another module of ours defines (a library's, like python-escpos' `_raw`, is not ours to rename)."""
    trees = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}
    defined = {name: _defined_private(tree) for name, tree in trees.items()}
    everyone = set().union(*defined.values())
    wrong = []
    for name, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and _ours(node.module):
                wrong += [f"{name}: from {node.module} import {a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
            elif (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                  and node.attr in everyone - LIBRARIES_OWN and node.attr not in defined[name]
                  and not (isinstance(node.value, ast.Name) and node.value.id in ("self", "cls"))):
                wrong.append(f"{name}:{node.lineno}: {ast.unparse(node)}")
    assert not wrong, "\n".join(wrong)


# ---- no service locator below the hub (issue 25) ------------------------------------------------
# The domain rooms take what they use (the floor, a read function, the branch, a clock, the outbox…) as
# arguments; only the web, the edge, reaches the hub (server/hub.py, the composition root) from its app.
# A type-only import of Hub is still the locator: every import counts here, TYPE_CHECKING's too.
HUB = "navbat.server.hub"
BELOW_THE_HUB = ("floor", "visitors", "hqlink", "reports")


def _absolute(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    """The dotted name an ImportFrom names, a relative one resolved from `module`."""
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base[:len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _locator_uses(source: str, module: str, is_package: bool = False) -> list[str]:
    """Imports of the hub module (anywhere: top, function, TYPE_CHECKING) and public functions or
    methods (constructors included) with a parameter named `hub`."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [f"{node.lineno}: import {a.name}" for a in node.names
                      if a.name == HUB or a.name.startswith(HUB + ".")]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, node, is_package)
            found += [f"{node.lineno}: from {base} import {a.name}" for a in node.names
                      if base == HUB or base.startswith(HUB + ".") or f"{base}.{a.name}" == HUB]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and (
                not node.name.startswith("_") or node.name == "__init__"):
            args = node.args
            found += [f"{node.lineno}: {node.name}({a.arg}…)" for a in
                      [*args.posonlyargs, *args.args, *args.kwonlyargs] if a.arg == "hub"]
    return found


def test_the_rooms_below_the_hub_take_what_they_use() -> None:
    wrong = []
    for room in BELOW_THE_HUB:
        for path in sorted((ROOT / "server" / room).rglob("*.py")):
            wrong += [f"{path.relative_to(ROOT)}:{hit}" for hit in
                      _locator_uses(path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py")]
    assert not wrong, "pass the hub's parts, not the hub (server/hub.py builds them):\n" + "\n".join(wrong)


def test_the_locator_check_sees_the_hub() -> None:
    """The check above finds each way in: a type-only import, one inside a function, a relative one,
    `from navbat.server import hub`, and a public function or a constructor taking `hub`."""
    source = """
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from navbat.server.hub import Hub
from navbat.server import hub as h
from .. import hub
def sweep(hub, outbox): ...
def _helper(hub): ...
class Sweeper:
    def __init__(self, *, hub): ...
def later():
    import navbat.server.hub
"""
    hits = _locator_uses(source, "navbat.server.visitors.remote_sweep")
    assert sorted(int(h.split(":")[0]) for h in hits) == [4, 5, 6, 7, 10, 12], hits
    assert _locator_uses("from navbat.server import hub_client\ndef f(db, hubs): ...\n", "navbat.server.x") == []
