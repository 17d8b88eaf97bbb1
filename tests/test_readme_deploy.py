"""The README (issue 14, Must show): the quick start keeps exactly two commands, "Deploying a
branch" links to docs/deploy.md, and every `navbat` subcommand the deploy guide uses exists."""

from __future__ import annotations

import re
from pathlib import Path

from navbat.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent


def section(text: str, title: str) -> str:
    return text.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


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
