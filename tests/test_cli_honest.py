"""Every `navbat` subcommand × a wrong input (issue 22): the installed console script, run as a
subprocess in an empty folder, says what is wrong in one line naming it, exits non-zero, prints
no traceback, and creates nothing (the folder's files are the same after).

The table of the closing note: NAVBAT_CLI_TABLE=PATH writes it there as markdown, otherwise
`python tests/test_cli_honest.py` prints it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

NAVBAT = str(Path(sys.executable).parent / "navbat")  # the installed console script


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    said: str        # in the last line of stderr
    code: int = 2

    @property
    def command(self) -> str:
        words = [a for a in self.args[:3] if not a.startswith("-") and "/" not in a and "." not in a]
        if self.args[0] == "hq" and len(words) > 1:
            return " ".join(words[:3])  # hq branch add, hq user add
        return " ".join(words[:2] if self.args[0] in ("user", "device", "printer", "service") else words[:1])


NOT_A_DB = "notes.txt"  # made in the folder before each case: a file that is no database
CASES = [
    Case(("hub", "--db", NOT_A_DB), f"navbat hub: {NOT_A_DB} is not a SQLite database"),
    Case(("hub", "--hq", "http://127.0.0.1:1"), "navbat hub: --hq and the HQ token (NAVBAT_HQ_TOKEN, or --hq-token) "
                                                "go together"),
    Case(("demo", "--config", "/nonexistent/branches.yaml"),
         "navbat demo: bad branch file: /nonexistent/branches.yaml: cannot read (No such file or directory)"),
    Case(("demo", "--port", "70000"), "argument --port: '70000' is not a TCP port (1-65535)"),
    Case(("user", "add", "zahra", "--role", "clerk", "--pin", "12a4", "--db", "new/hub.sqlite"),
         "navbat user add: the PIN must be 4 to 12 digits"),
    Case(("user", "add", "zahra", "--role", "clerk", "--pin", "1234", "--db", NOT_A_DB),
         f"navbat user add: {NOT_A_DB} is not a SQLite database"),
    Case(("user", "disable", "zahra", "--db", "typo.sqlite"),
         "navbat user disable: no database at typo.sqlite (use --db PATH)"),
    Case(("user", "list", "--db", "typo.sqlite"), "navbat user list: no database at typo.sqlite (use --db PATH)"),
    Case(("device", "add", "tablet-9", "--role", "tablet", "--counter", "99", "--db", "hub.sqlite"),
         "navbat device add: no counter 99 in the branch file (counters: 1, 2, 3, 4, 5, 6, 7, 8)"),
    Case(("simulate", "--days", "0"), "navbat simulate: --days must be between 1 and 365"),
    Case(("printer", "test", "--printer", "nosuch"), 'navbat printer test: no printer "nosuch"'),
    Case(("printer", "preview", "/missing/dir/slip.png"),
         "navbat printer preview: OUT /missing/dir/slip.png: no folder /missing/dir"),
    Case(("printer", "list", "/dev/usb/lp0"), "unrecognized arguments: /dev/usb/lp0"),  # it takes no argument
    Case(("kiosk", "--hub", "ftp://hub", "--token", "x"), "navbat kiosk: --hub must be an http:// URL, not 'ftp://hub'"),
    Case(("kiosk", "--hub", "http://127.0.0.1:1"), "navbat kiosk: give the kiosk's device token with --token or "
                                                    "NAVBAT_KIOSK_TOKEN"),
    Case(("display", "--voice", "de"), "navbat display: --voice takes fa, en, fa,en or none; not 'de'"),
    Case(("display", "--led", "nosuch"), "navbat display: no serial LED display 'nosuch' with a counter"),
    Case(("report", "--month", "2026-12", "--db", "typo.sqlite"),
         "navbat report: 2026 is a Gregorian year: months and days are Jalali"),
    Case(("report", "--month", "1404-13"), "navbat report: no Jalali month 13"),
    Case(("report", "--month", "1404-07", "--db", "typo.sqlite"),
         "navbat report: no database at typo.sqlite (use --db PATH)"),
    Case(("report", "--month", "1404-07", "--out", "/missing/dir/r.csv"),
         "navbat report: --out /missing/dir/r.csv: no folder /missing/dir"),
    Case(("init-branch", NOT_A_DB), f"navbat init-branch: {NOT_A_DB} is a file, not a folder"),
    Case(("init-branch", "/proc/navbat"), "navbat init-branch: cannot write /proc/navbat/branches.yaml"),
    Case(("backup", "--db", "typo.sqlite", "--to", "backups"),
         "navbat backup: no database at typo.sqlite (use --db PATH)"),
    Case(("restore", "missing.sqlite", "--db", "hub.sqlite"), "navbat restore: no backup file at missing.sqlite"),
    Case(("restore", NOT_A_DB, "--db", "hub.sqlite"), f"navbat restore: {NOT_A_DB} is not a SQLite database"),
    Case(("check", "--db", "typo.sqlite"), "navbat check: no database at typo.sqlite (use --db PATH)"),
    Case(("service", "unit", "hub", "--prot", "80"), "unrecognized arguments: --prot 80"),
    Case(("service", "install", "--root", "image", "hub", "--config", "/etc/navbat/branches.yaml"),
         "navbat service install: bad branch file: image/etc/navbat/branches.yaml: cannot read"),
    Case(("hq",), "navbat hq: --database postgresql://... is needed"),
    Case(("hq", "branch", "add", "x-01", "--province", "p", "--region", "r", "--type", "1", "--database",
          "postgresql://nobody:secret@127.0.0.1:1/hq"),
         "navbat hq branch add: cannot use --database: connection failed"),
    Case(("hq", "user", "add", "boss", "--role", "king", "--pin", "1234"), "argument --role: invalid choice: 'king'"),
    Case(("hq-demo", "--folder", NOT_A_DB), "is a file, not a folder"),
    Case(("nosuch",), "argument COMMAND: invalid choice: 'nosuch'"),
]


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"<dir>") for p in folder.rglob("*")}


def run(case: Case, folder: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("NAVBAT_")}
    env.update(KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1", KIVY_HOME=str(folder.parent / "kivy-home"))
    return subprocess.run([NAVBAT, *case.args], cwd=folder, env=env, capture_output=True, text=True, timeout=60)


RESULTS: dict[tuple[str, ...], tuple[str, int]] = {}


def table() -> str:
    rows = ["| subcommand | wrong input | message | exit code |", "|---|---|---|---|"]
    for case in CASES:
        said, code = RESULTS.get(case.args, ("(not run)", -1))
        wrong = " ".join(case.args[len(case.command.split()):]) or "(none)"
        rows.append(f"| `{case.command}` | `{wrong}` | {said.replace('|', '&#124;')} | {code} |")
    return "\n".join(rows) + "\n"


@pytest.fixture(scope="module", autouse=True)
def _write_table() -> None:
    yield
    if os.environ.get("NAVBAT_CLI_TABLE") and RESULTS:
        Path(os.environ["NAVBAT_CLI_TABLE"]).write_text(table(), encoding="utf-8")


def test_every_subcommand_is_in_the_cases() -> None:
    from navbat.cli import COMMANDS

    assert set(COMMANDS) <= {c.args[0] for c in CASES}


@pytest.mark.parametrize("case", CASES, ids=[" ".join(c.args)[:60] for c in CASES])
def test_wrong_input_is_one_line_a_non_zero_exit_and_nothing_made(case: Case, tmp_path: Path) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    (folder / NOT_A_DB).write_text("not a database\n", encoding="utf-8")
    before = files(folder)
    done = run(case, folder)
    lines = done.stderr.strip().splitlines()
    RESULTS[case.args] = (lines[-1] if lines else "", done.returncode)
    assert done.returncode == case.code, done.stderr
    assert "Traceback" not in done.stderr and lines, done.stderr
    assert case.said in lines[-1], done.stderr
    if not lines[-1].startswith("usage:") and "error: argument" not in lines[-1] and "unrecognized" not in lines[-1]:
        assert len(lines) == 1, done.stderr  # our own refusals: one line, nothing before it
    assert done.stdout == ""
    assert files(folder) == before  # nothing created, nothing half-written


def test_a_new_database_is_said_and_a_good_one_is_used(tmp_path: Path) -> None:
    made = run(Case(("user", "add", "zahra", "--role", "clerk", "--pin", "1234", "--db", "var/hub.sqlite"), ""),
               tmp_path)
    assert made.returncode == 0
    assert made.stderr == "navbat user add: there was no database at var/hub.sqlite; made a new one there\n"
    again = run(Case(("device", "add", "tablet-1", "--role", "tablet", "--counter", "1", "--db", "var/hub.sqlite"),
                     ""), tmp_path)
    assert again.returncode == 0 and again.stderr == ""  # it is there now: nothing to say
    listed = run(Case(("user", "list", "--db", "var/hub.sqlite"), ""), tmp_path)
    assert listed.returncode == 0 and listed.stdout.startswith("zahra\tclerk\tactive")


if __name__ == "__main__":  # the closing note's table, from a run of the cases here
    import tempfile

    for c in CASES:
        with tempfile.TemporaryDirectory() as tmp:
            here = Path(tmp) / "here"
            here.mkdir()
            (here / NOT_A_DB).write_text("not a database\n", encoding="utf-8")
            out = run(c, here)
            said_lines = out.stderr.strip().splitlines()
            RESULTS[c.args] = (said_lines[-1] if said_lines else "", out.returncode)
    print(table(), end="")


def test_each_hq_demo_branch_has_its_own_branch_file(tmp_path: Path) -> None:
    from navbat.foundation.config import load_config

    from navbat.commands.hq_demo import DEMO, _branch_file

    branches = [load_config(_branch_file(tmp_path, bid, number, city, en_city, en_province, province))
                for bid, province, _, _, number, city, en_city, en_province in DEMO]
    assert [b.branch.id for b in branches] == [d[0] for d in DEMO]
    for b in branches:
        assert b.branch.name.en.startswith("Social Security Branch") and "Tehran 14" not in b.branch.name.en
    assert len({b.branch.name.fa for b in branches}) == len({b.branch.province.en for b in branches}) == 3
    shiraz = branches[2].branch
    assert (shiraz.name.en, shiraz.province.fa) == ("Social Security Branch 3, Shiraz", "فارس")


def test_make_passes_the_port_and_cleans_every_demo_folder() -> None:
    root = Path(__file__).resolve().parent.parent
    make = lambda *a: subprocess.run(["make", "-n", "-C", str(root), *a], capture_output=True,  # noqa: E731
                                     text=True, timeout=60).stdout
    assert "navbat demo --port 8123" in make("demo", "PORT=8123")
    assert "navbat hq-demo --port 8124" in make("hq-demo", "PORT=8124")
    assert {"var/hq-demo", "var/sms.log", "var/*.sqlite*", "var/tickets"} <= set(make("clean").split())
