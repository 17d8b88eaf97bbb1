"""The README (issue 14, Must show): the quick start keeps exactly two commands, "Deploying a
branch" links to docs/deploy.md, and every `navbat` subcommand the deploy guide uses exists."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from docs_support import ROOT, section

from navbat.cli import COMMANDS, build_parser


def test_quick_start_has_two_commands_and_deploying_links_the_guide() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sh\n(.*?)```", section(readme, "Quick start"), re.S)[1]
    assert [line.split("#")[0].strip() for line in block.strip().splitlines()] == ["make demo", "make test"]
    assert "(docs/deploy.md)" in section(readme, "Deploying a branch")


def test_the_deploy_guide_names_only_real_commands() -> None:
    blocks = re.findall(r"```sh\n(.*?)```", (ROOT / "docs/deploy.md").read_text(encoding="utf-8"), re.S)
    guide = "\n".join(line.split(" #")[0] for block in blocks for line in block.splitlines())  # no comments
    # `sudo -u navbat navbat user add`: the user, then the command
    used = set(re.findall(r"(?<![\w/.-])navbat (?=([a-z][a-z-]+))", guide)) - {"navbat"}
    assert {"init-branch", "service", "backup", "restore", "check", "printer", "user", "device"} <= used
    assert used - set(COMMANDS) == set()


def navbat_lines(text: str) -> list[list[str]]:
    """Each `navbat ...` the guide's shell blocks run, as argv after `navbat` (up to a pipe or `&&`)."""
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    lines = [line.split(" #")[0] for block in blocks for line in block.replace("\\\n", " ").splitlines()]
    out = []
    for line in lines:
        for found in re.finditer(r"(?<![\w/.=-])navbat (?!navbat )([a-z][^|&;]*)", line):
            out.append(shlex.split(found[1]))
    return out


def test_every_navbat_line_in_the_guide_parses() -> None:
    """Not only the subcommands: every option the guide gives is one the command takes."""
    parser = build_parser()
    used = navbat_lines((ROOT / "docs/deploy.md").read_text(encoding="utf-8"))
    assert len(used) >= 15
    for argv in used:
        try:
            parser.parse_args(argv)
        except SystemExit:
            pytest.fail(f"docs/deploy.md: navbat {shlex.join(argv)} does not parse")


def test_the_hq_section_covers_install_database_service_backups_and_check() -> None:
    hq = section((ROOT / "docs/deploy.md").read_text(encoding="utf-8"), "10. Headquarters")
    for needed in ('"navbat[hq]"', "createuser navbat", "createdb --owner=navbat navbat_hq",
                   "navbat service install hq", "pg_dump --format=custom", "pg_restore --clean",
                   "pg_basebackup", "navbat check --database postgresql://", "NAVBAT_HQ_METRICS_TOKEN"):
        assert needed in hq, needed
    commands = {shlex.split(line)[0] for line in _hq_shell_lines(hq)}
    assert commands == {"sudo", "echo"}  # each program under sudo: below
    programs = {argv[argv.index("-u") + 2] if argv[1] == "-u" else argv[1]
                for argv in (shlex.split(line) for line in _hq_shell_lines(hq)) if argv[0] == "sudo"}
    assert {"createuser", "createdb", "pg_dump", "pg_restore", "pg_basebackup", "navbat", "systemctl"} <= programs
    here = str(Path(sys.executable).parent)  # navbat: this virtual environment's
    missing = [p for p in programs if not p.startswith("/opt/navbat/")  # made by the guide itself
               and shutil.which(p, path=f"{here}:{os.environ['PATH']}") is None]
    assert missing == [], f"not installed by scripts/setup.sh: {missing}"


def _hq_shell_lines(hq: str) -> list[str]:
    blocks = re.findall(r"```sh\n(.*?)```", hq, re.S)
    return [line.split(" #")[0].split(" | ")[0].split(" && ")[0] for block in blocks
            for line in block.replace("\\\n", " ").splitlines() if line.strip()]
