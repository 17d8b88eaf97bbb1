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
    for path in sorted((ROOT / "tests").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
            wrong += [f"tests/{path.name} imports {name}" for name in names if name.split(".")[0].startswith("test_")]
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
