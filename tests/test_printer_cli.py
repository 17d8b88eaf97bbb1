"""`navbat printer test`: on a fresh checkout it writes var/tickets/<number>.bin and .png."""

from __future__ import annotations

from pathlib import Path

import yaml
from navbat.foundation.config import DEFAULT_CONFIG
from navbat.printer.fakes import FakeNetworkPrinter

from navbat.cli import main


def test_default_printer_writes_the_demo_ticket(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["printer", "test"]) == 0
    out = capsys.readouterr().out
    assert "printed test ticket A-012 on kiosk-1-printer (file, 80 mm)" in out
    data = (tmp_path / "var/tickets/A-012.bin").read_bytes()
    assert data.startswith(b"\x1b@") and data.endswith(b"\x1dV\x00") and len(data) < 10_000
    assert (tmp_path / "var/tickets/A-012.png").stat().st_size > 5_000


def _branch_with(tmp_path: Path, printer: dict) -> Path:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["printers"].append(printer)
    path = tmp_path / "branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_named_network_printer(tmp_path):
    with FakeNetworkPrinter() as fake:
        config = _branch_with(tmp_path, {"name": "lobby", "type": "network", "host": "127.0.0.1",
                                         "port": fake.port, "width_mm": 58})
        assert main(["printer", "test", "--printer", "lobby", "--config", str(config)]) == 0
        assert fake.wait_for_jobs(1)
    assert b"TEST0012" in fake.jobs[0]


def test_unknown_or_offline_printer_is_a_readable_error(tmp_path, capsys):
    assert main(["printer", "test", "--printer", "nope"]) == 2
    assert 'no printer "nope" (the branch has: kiosk-1-printer)' in capsys.readouterr().err
    fake = FakeNetworkPrinter().start()
    fake.stop()  # switched off
    config = _branch_with(tmp_path, {"name": "lobby", "type": "network", "host": "127.0.0.1", "port": fake.port})
    assert main(["printer", "test", "--printer", "lobby", "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("navbat printer test: lobby: printer lobby (network) is not reachable")
    assert err.count("\n") == 1
