"""What ships is what is tested (issue 22): this test process imports the project only as the
installed `navbat` package, the installed files are this tree's, every `.kv` import resolves in the
package, and the release number is the same wherever it is shown: `navbat --version`,
/api/v1/health, the batches to HQ and HQ's branch list. A database a newer release migrated is
refused, read only."""

from __future__ import annotations

import base64
import configparser
import hashlib
import importlib
import importlib.metadata
import re
import sqlite3
import subprocess
import sys
import sysconfig
from contextlib import closing
from pathlib import Path

import pytest
from conftest import make_app
from hq_support import connect, register, shipper_for
from navbat.foundation.version import VERSION
from navbat.hq import figures
from navbat.hq.ingest import BadBatch, ingest
from navbat.server.floor.db import NewerDatabase, Store

import navbat
from navbat.cli import main

REPO = Path(__file__).resolve().parent.parent
SITE = Path(sysconfig.get_paths()["purelib"]).resolve()
# setup.cfg's package_dir: the repository's folders and where they live in the installed package.
FOLDERS = {"navbat": "navbat", "foundation": "navbat/foundation", "server": "navbat/server",
           "queueing": "navbat/queueing", "printer": "navbat/printer", "kiosk": "navbat/kiosk",
           "counter_display": "navbat/counter_display", "assets": "navbat/assets", "config": "navbat/config",
           "hq": "navbat/hq"}
# In the tree, not in the wheel on purpose: the scripts that made the icons and the sounds.
NOT_SHIPPED = {"assets/icons/make_icons.py", "assets/sounds/generate.py"}


def test_the_repository_folders_do_not_import_under_their_own_names() -> None:
    assert str(REPO) not in [str(Path(p).resolve()) for p in sys.path if p]
    for name in ("foundation", "server", "kiosk", "counter_display", "queueing", "hq", "printer", "assets"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(name)


def test_navbat_is_the_installed_package_here_and_in_the_commands_tests_start() -> None:
    for module in (navbat, navbat.foundation.version, importlib.import_module("navbat.server.floor.db")):
        where = Path(module.__file__).resolve()
        assert where.is_relative_to(SITE) and not any(where.is_relative_to(REPO / f) for f in FOLDERS), where
    # a `python -m navbat` started from the repository's root, as many tests do, gets the same one
    r = subprocess.run([sys.executable, "-c", "import navbat; print(navbat.__file__)"], cwd=REPO,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and Path(r.stdout.strip()).resolve().is_relative_to(SITE), r.stdout + r.stderr


def _sha256(path: Path) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(path.read_bytes()).digest()).rstrip(b"=").decode()


def test_the_installed_files_are_this_trees_files() -> None:
    """Every file of the package folders (code, templates, static, kv, catalogues with their .mo,
    fonts, sounds, icons, HQ's migrations, the branch files) is installed, byte for byte, and
    nothing else is: the wheel holds the whole tree and the tests run on this tree's wheel."""
    installed = {str(f): f.hash.value for f in importlib.metadata.files("navbat")
                 if f.parts[0] == "navbat" and "__pycache__" not in f.parts and f.hash}
    tree = {}
    for folder, target in FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            rel = path.relative_to(REPO)
            if path.is_file() and "__pycache__" not in rel.parts and str(rel) not in NOT_SHIPPED:
                tree[f"{target}/{path.relative_to(REPO / folder)}"] = path
    assert sorted(set(tree) - set(installed)) == [], "in the tree, not installed: rerun scripts/run-tests.sh"
    assert sorted(set(installed) - set(tree)) == [], "installed, not in the tree"
    stale = [name for name, path in tree.items() if installed[name] != _sha256(path).removeprefix("sha256=")]
    assert stale == [], "installed copies differ from the tree: rerun scripts/run-tests.sh"
    for kind in (".html", ".kv", ".mo", ".ttf", ".wav", ".png", ".sql", ".yaml", ".js", ".css"):
        assert any(name.endswith(kind) for name in installed), kind


def test_every_kv_import_names_a_module_of_the_installed_package() -> None:
    kv_files = sorted(SITE.joinpath("navbat").rglob("*.kv"))
    assert {p.parent.parent.name for p in kv_files} == {"kiosk", "counter_display"}
    imports = [(kv.name, line.split()[2]) for kv in kv_files for line in kv.read_text(encoding="utf-8").splitlines()
               if line.startswith("#:import")]
    assert imports  # the displays' layouts name their fonts
    for kv, dotted in imports:
        assert dotted.startswith("navbat."), (kv, dotted)
        try:
            importlib.import_module(dotted)
        except ModuleNotFoundError:
            module, _, name = dotted.rpartition(".")
            assert hasattr(importlib.import_module(module), name), (kv, dotted)


def test_the_version_is_setup_cfgs_and_the_changelogs(capsys: pytest.CaptureFixture) -> None:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    release = cfg["metadata"]["version"]
    assert VERSION == navbat.__version__ == importlib.metadata.version("navbat") == release
    assert re.search(rf"^## \[{re.escape(release)}\] - ", (REPO / "CHANGELOG.md").read_text(encoding="utf-8"), re.M)
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0 and capsys.readouterr().out.strip() == f"navbat {release}"


def test_health_says_the_hubs_release(branch, tmp_path: Path) -> None:  # noqa: ANN001
    app = make_app(branch, tmp_path / "hub.sqlite")
    try:
        r = app.test_client().get("/api/v1/health")
        assert r.status_code == 200 and r.json == {"status": "ok", "version": VERSION}
    finally:
        app.extensions["navbat.hub"].stop()


def test_hq_lists_each_branchs_release_from_its_batches(day_hub, hq_db: str) -> None:  # noqa: ANN001, F811
    register(hq_db)
    body = shipper_for(day_hub, "http://127.0.0.1:9", "unused").open().batch_after()
    assert body["version"] == VERSION
    with connect(hq_db) as conn:
        assert [b["version"] for b in figures.branches(conn)] == [None]  # registered, never heard from
        ingest(conn, "tehran-01", {**body, "version": None, "events": body["events"][:3], "last_id": 3})
        assert [b["version"] for b in figures.branches(conn)] == [None]  # a 0.1.0 hub sends none
        ingest(conn, "tehran-01", {**body, "after": 3, "events": body["events"][3:]})
        assert [b["version"] for b in figures.branches(conn)] == [VERSION]
        for bad in ("x" * 41, "; DROP", 12, ""):
            with pytest.raises(BadBatch, match="version"):
                ingest(conn, "tehran-01", {**body, "version": bad, "after": body["last_id"], "events": []})
        assert [b["version"] for b in figures.branches(conn)] == [VERSION]


def _future(db: Path) -> None:
    Store(db).close()
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
                     "VALUES ('navbat-hub', 'm999_from_a_later_release', '2027-01-01')")


def test_a_database_from_a_newer_release_is_refused_unchanged(tmp_path: Path, capsys) -> None:  # noqa: ANN001
    db = tmp_path / "hub.sqlite"
    _future(db)
    before = db.read_bytes()
    with pytest.raises(NewerDatabase):
        Store(db)
    assert main(["user", "list", "--db", str(db)]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "m999_from_a_later_release" in err and f"navbat {VERSION}" in err, err
    hub = subprocess.run([sys.executable, "-m", "navbat", "hub", "--db", str(db), "--port", "0"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert hub.returncode == 2 and len(hub.stderr.strip().splitlines()) == 1, hub.stderr
    assert "newer release" in hub.stderr
    assert db.read_bytes() == before
