"""`navbat service unit|install` (issue 14, Must show): every generated unit passes
`systemd-analyze verify`, with its ExecStart pointing at this virtual environment's navbat."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from navbat.foundation.config import DEFAULT_CONFIG

NAVBAT = str(Path(sys.executable).parent / "navbat")
ROLES = {
    "hub": ["--host", "0.0.0.0", "--port", "8080", "--config", "/etc/navbat/branches.yaml"],
    "kiosk": ["--hub", "http://hub.local:8080", "--lang", "fa"],
    "display": ["--hub", "http://hub.local:8080", "--display", "hall"],
    "hq": ["--host", "0.0.0.0", "--port", "8090", "--workers", "2"],  # as docs/deploy.md installs it
    "backup": ["--keep", "30"],
}


def navbat(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([NAVBAT, *args], capture_output=True, text=True, timeout=60)


def settings(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            out.setdefault(key, []).append(value)
    return out


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("root")
    (root / "etc/navbat").mkdir(parents=True)  # the image's branch file, which install reads first
    shutil.copyfile(DEFAULT_CONFIG, root / "etc/navbat/branches.yaml")
    for role, options in ROLES.items():
        out = navbat("service", "install", "--root", str(root), role, *options)
        assert out.returncode == 0, out.stderr
    return root


def test_every_unit_passes_systemd_analyze_verify(root: Path) -> None:
    units = sorted((root / "etc/systemd/system").glob("navbat-*"))
    assert [u.name for u in units] == ["navbat-backup.service", "navbat-backup.timer", "navbat-display.service",
                                       "navbat-hq.service", "navbat-hub.service", "navbat-kiosk.service"]
    for unit in units:
        out = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                             timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
        # verify exits 0 on a misspelt key or value and only says so: both must be silent.
        assert (out.returncode, out.stdout, out.stderr) == (0, "", ""), unit.name


def test_verify_would_catch_a_missing_command(tmp_path: Path) -> None:
    unit = tmp_path / "navbat-hub.service"
    unit.write_text(navbat("service", "unit", "--navbat", str(tmp_path / "nowhere/navbat"), "hub").stdout)
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True)
    assert out.returncode != 0 and "nowhere/navbat is not executable" in out.stderr


def test_install_enables_them_and_declares_the_users(root: Path) -> None:
    system = root / "etc/systemd/system"
    for link in ("multi-user.target.wants/navbat-hub.service", "multi-user.target.wants/navbat-hq.service",
                 "graphical.target.wants/navbat-kiosk.service", "graphical.target.wants/navbat-display.service",
                 "timers.target.wants/navbat-backup.timer"):
        assert (system / link).is_symlink(), link
    assert not (system / "multi-user.target.wants/navbat-backup.service").exists()  # the timer starts it
    users = (root / "etc/sysusers.d/navbat.conf").read_text()
    assert users.startswith('u navbat - "Navbat hub" /var/lib/navbat\n') and "m navbat-screen video" in users


def test_hub_runs_unprivileged_sandboxed_and_restarts(root: Path) -> None:
    hub = settings((root / "etc/systemd/system/navbat-hub.service").read_text())
    assert hub["ExecStart"] == [f"{NAVBAT} hub --host 0.0.0.0 --port 8080 --config /etc/navbat/branches.yaml "
                                "--db /var/lib/navbat/navbat.sqlite"]
    assert (hub["User"], hub["StateDirectory"], hub["Restart"]) == (["navbat"], ["navbat"], ["on-failure"])
    for key, value in (("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("NoNewPrivileges", "yes"),
                       ("PrivateTmp", "yes"), ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
                       ("CapabilityBoundingSet", "")):
        assert hub[key] == [value], key
    low = settings(navbat("service", "unit", "hub", "--port", "80").stdout)  # port 80: that one capability only
    assert low["AmbientCapabilities"] == ["CAP_NET_BIND_SERVICE"]


def test_screens_run_fullscreen_in_cage_and_come_back(root: Path) -> None:
    kiosk = settings((root / "etc/systemd/system/navbat-kiosk.service").read_text())
    assert kiosk["ExecStart"] == [f"/usr/bin/cage -d -- {NAVBAT} kiosk --fullscreen --hub http://hub.local:8080 "
                                  "--lang fa"]
    assert (kiosk["Restart"], kiosk["TTYPath"], kiosk["PAMName"]) == (["always"], ["/dev/tty1"], ["login"])
    assert "--blank 0 --powerdown 0" in kiosk["ExecStartPre"][0]
    timer = settings((root / "etc/systemd/system/navbat-backup.timer").read_text())
    backup = settings((root / "etc/systemd/system/navbat-backup.service").read_text())
    assert timer["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Persistent"] == ["true"]
    assert backup["ExecStart"] == [f"{NAVBAT} backup --db /var/lib/navbat/navbat.sqlite --to "
                                   "/var/lib/navbat/backups --keep 30"]


def test_a_mistyped_option_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    out = navbat("service", "install", "--root", str(tmp_path), "hub", "--prot", "80")
    assert out.returncode == 2 and "unrecognized arguments: --prot 80" in out.stderr
    assert not (tmp_path / "etc").exists()


def test_hq_gets_its_own_options_only(root: Path) -> None:
    hq = settings((root / "etc/systemd/system/navbat-hq.service").read_text())
    assert hq["ExecStart"] == [f"{NAVBAT} hq --host 0.0.0.0 --port 8090 --workers 2"]
    assert hq["ProtectSystem"] == ["strict"] and hq["PrivateTmp"] == ["yes"]  # its metrics folder: a private /tmp
    assert hq["After"] == ["network-online.target postgresql.service"]
    assert hq["EnvironmentFile"] == ["-/etc/navbat/hq.env"]  # NAVBAT_HQ_DATABASE stays off the command line


def test_secrets_go_to_root_only_environment_files_never_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "etc/navbat").mkdir(parents=True)
    shutil.copyfile(DEFAULT_CONFIG, tmp_path / "etc/navbat/branches.yaml")
    hub = navbat("service", "install", "--root", str(tmp_path), "hub", "--config", "/etc/navbat/branches.yaml",
                 "--hq", "https://hq.example:8090", "--hq-token", "SECRET-hq-1")
    kiosk = navbat("service", "install", "--root", str(tmp_path), "kiosk", "--hub", "http://hub.local:8080",
                   "--token=SECRET-kiosk-1")
    assert hub.returncode == 0 and kiosk.returncode == 0, hub.stderr + kiosk.stderr
    units = {u.name: u.read_text() for u in (tmp_path / "etc/systemd/system").glob("navbat-*.service")}
    assert units and not any("SECRET" in text for text in units.values())
    unit = settings(units["navbat-hub.service"])
    assert unit["ExecStart"] == [f"{NAVBAT} hub --config /etc/navbat/branches.yaml --hq https://hq.example:8090 "
                                 "--db /var/lib/navbat/navbat.sqlite"]
    assert unit["EnvironmentFile"] == ["-/etc/navbat/hub.env"]
    assert settings(units["navbat-kiosk.service"])["EnvironmentFile"] == ["-/etc/navbat/kiosk.env"]
    for role, line in (("hub", "NAVBAT_HQ_TOKEN=SECRET-hq-1"), ("kiosk", "NAVBAT_KIOSK_TOKEN=SECRET-kiosk-1")):
        env = tmp_path / f"etc/navbat/{role}.env"
        assert env.read_text().splitlines() == [line] and env.stat().st_mode & 0o777 == 0o600
    # again with a new token: the line is replaced, the file stays root-only
    (tmp_path / "etc/navbat/hub.env").write_text("NAVBAT_SMS_PASSWORD=pw\nNAVBAT_HQ_TOKEN=old\n")
    assert navbat("service", "install", "--root", str(tmp_path), "hub", "--hq", "https://hq.example:8090",
                  "--hq-token", "SECRET-hq-2").returncode == 0
    assert (tmp_path / "etc/navbat/hub.env").read_text() == "NAVBAT_SMS_PASSWORD=pw\nNAVBAT_HQ_TOKEN=SECRET-hq-2\n"
    unit_file = tmp_path / "etc/systemd/system/navbat-hub.service"
    out = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit_file)], capture_output=True, text=True,
                         timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")
    printed = navbat("service", "unit", "hub", "--hq", "https://hq.example:8090", "--hq-token", "SECRET-hq-3")
    assert printed.returncode == 0 and "SECRET" not in printed.stdout and "--hq-token" not in printed.stdout
    assert "NAVBAT_HQ_TOKEN left out of the unit's command line" in printed.stderr


def test_the_hub_reads_its_hq_token_from_the_environment_and_warns_on_the_option(tmp_path: Path) -> None:
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:  # the hub stops at listening: no hub left running
        port = str(taken.getsockname()[1])
        base = ["hub", "--db", str(tmp_path / "hub.sqlite"), "--port", port, "--hq", "http://127.0.0.1:1"]
        env = {k: v for k, v in os.environ.items() if k != "NAVBAT_HQ_TOKEN"}
        run = lambda args, **extra: subprocess.run([NAVBAT, *args], capture_output=True, text=True,  # noqa: E731
                                                   timeout=60, env={**env, **extra})
        missing = run(base)
        assert missing.returncode == 2 and "the HQ token (NAVBAT_HQ_TOKEN, or --hq-token)" in missing.stderr
        from_env = run(base, NAVBAT_HQ_TOKEN="T" * 32)
        assert from_env.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in from_env.stderr
        assert "warning" not in from_env.stderr
        flag = run([*base, "--hq-token", "T" * 32])
        assert f"cannot listen on 127.0.0.1:{port}" in flag.stderr
        assert "warning: --hq-token is visible to every user in `ps`" in flag.stderr


def test_an_led_board_is_a_plain_service_not_a_screen(tmp_path: Path) -> None:
    """`display --led NAME` opens no window: no cage, no tty taken from the console (issue 22)."""
    out = navbat("service", "install", "--root", str(tmp_path), "display", "--hub", "http://hub.local:8080",
                 "--led", "led-1")
    assert out.returncode == 0, out.stderr
    unit = tmp_path / "etc/systemd/system/navbat-led-led-1.service"
    s = settings(unit.read_text())
    assert s["ExecStart"] == [f"{NAVBAT} display --hub http://hub.local:8080 --led led-1"]
    assert "TTYPath" not in s and "Conflicts" not in s and s["SupplementaryGroups"] == ["dialout"]
    assert s["EnvironmentFile"] == ["-/etc/navbat/display.env"]
    verified = subprocess.run(["systemd-analyze", "verify", "--man=no", str(unit)], capture_output=True, text=True,
                              timeout=60, env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert (verified.returncode, verified.stdout, verified.stderr) == (0, "", "")
