"""`navbat printer list` (issue 14): USB printers (from a sysfs tree) and serial ports (pyserial's
list_ports), each with a line that the branch file accepts as it is."""

from __future__ import annotations

from pathlib import Path

import yaml
from navbat.foundation.config import DEFAULT_CONFIG, load_config
from serial.tools import list_ports

from navbat.cli import main


def device(root: Path, name: str, vendor: str, product_id: str, interface_class: str, **strings: str) -> None:
    d = root / name
    (d / f"{name}:1.0").mkdir(parents=True)
    (d / "idVendor").write_text(vendor + "\n")
    (d / "idProduct").write_text(product_id + "\n")
    (d / f"{name}:1.0" / "bInterfaceClass").write_text(interface_class + "\n")
    for key, value in strings.items():
        (d / key).write_text(value + "\n")
    (root / f"{name}:1.0").symlink_to(d / f"{name}:1.0")  # sysfs lists interfaces beside devices


def test_lists_usb_printers_and_serial_ports_with_their_branch_file_line(tmp_path, capsys) -> None:  # noqa: ANN001
    sysfs = tmp_path / "sys"
    device(sysfs, "1-1", "04b8", "0202", "07", manufacturer="EPSON", product="TM-T88V")
    device(sysfs, "1-2", "0416", "5011", "ff", product="POS58 Printer")  # vendor class, says it prints
    device(sysfs, "1-3", "046d", "c31c", "03", product="USB Keyboard")
    device(sysfs, "1-4", "0bda", "8153", "ff", product="USB 10/100/1000 LAN")
    assert main(["printer", "list", "--sysfs", str(sysfs)]) == 0
    out = capsys.readouterr().out
    assert "# usb 1-1: EPSON TM-T88V\n  - {name: usb-04b8-0202, type: usb, vendor_id: 0x04b8, product_id: 0x0202, " \
           "width_mm: 80}" in out
    assert "usb-0416-5011" in out and "046d" not in out and "0bda" not in out
    ports = [p.device for p in list_ports.comports()]
    for port in ports:
        assert f"type: serial, port: {port}, baudrate: 19200" in out
    # Every line goes into the branch file as it is.
    entries = [yaml.safe_load(line.strip())[0] for line in out.splitlines() if line.startswith("  - ")]
    assert len(entries) == 2 + len(ports)
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    raw["printers"] += entries
    path = tmp_path / "branch.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    usb = load_config(path).printer("usb-04b8-0202")
    assert (usb.type, usb.vendor_id, usb.product_id) == ("usb", 0x04B8, 0x0202)


def test_nothing_found_says_so(tmp_path, capsys, monkeypatch) -> None:  # noqa: ANN001
    (tmp_path / "sys").mkdir()
    monkeypatch.setattr(list_ports, "comports", lambda: [])  # a machine without serial ports
    assert main(["printer", "list", "--sysfs", str(tmp_path / "sys")]) == 1
    assert capsys.readouterr().err == "no USB printer or serial port found\n"
