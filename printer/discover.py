"""Printers found, not typed: USB printers and serial ports on this machine, each with the line
to paste under `printers:` in the branch file.

USB: through pyusb when it is installed (python-escpos' `usb` extra), otherwise straight from
sysfs (/sys/bus/usb/devices), which needs no library and no permission. A USB device counts as a
printer when one of its interfaces has the USB printer class (7); ESC/POS receipt printers do, or
declare themselves vendor-specific (255) with a name that says so. Serial: pyserial's list_ports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

SYSFS_USB = Path("/sys/bus/usb/devices")
PRINTER_CLASS = 0x07
VENDOR_CLASS = 0xFF
PRINTERISH = re.compile(r"print|pos|receipt|thermal|tm-|escpos", re.IGNORECASE)


@dataclass(frozen=True)
class Found:
    kind: str  # usb | serial
    where: str  # bus path or device node
    description: str
    config: dict[str, object]

    def line(self) -> str:
        """The branch file's entry (YAML flow mapping), ids in hex as the demo file writes them."""
        def value(k: str, v: object) -> str:
            return f"0x{v:04x}" if k in ("vendor_id", "product_id") else str(v)
        return "- {" + ", ".join(f"{k}: {value(k, v)}" for k, v in self.config.items()) + "}"


def _read(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError:
        return ""


def _usb_entry(vendor: int, product: int, description: str, where: str) -> Found:
    return Found("usb", where, description, {"name": f"usb-{vendor:04x}-{product:04x}", "type": "usb",
                                              "vendor_id": vendor, "product_id": product, "width_mm": 80})


def usb_from_sysfs(root: Path = SYSFS_USB) -> list[Found]:
    found = []
    for device in sorted(root.glob("*")):
        vendor, product = _read(device / "idVendor"), _read(device / "idProduct")
        if not vendor or not product:
            continue  # an interface or a hub port, not a device
        classes = {int(_read(i / "bInterfaceClass") or "0", 16) for i in device.glob(f"{device.name}:*")}
        name = " ".join(p for p in (_read(device / "manufacturer"), _read(device / "product")) if p)
        if PRINTER_CLASS in classes or (VENDOR_CLASS in classes and PRINTERISH.search(name)):
            found.append(_usb_entry(int(vendor, 16), int(product, 16), name or "USB printer", device.name))
    return found


def usb_from_pyusb() -> list[Found] | None:
    """None when pyusb (or its libusb backend) is missing: the caller reads sysfs instead."""
    try:
        import usb.core
        import usb.util
    except ImportError:
        return None
    found = []
    try:
        devices = list(usb.core.find(find_all=True))
    except usb.core.NoBackendError:
        return None
    for dev in devices:
        classes = {i.bInterfaceClass for cfg in dev for i in cfg}
        try:
            name = " ".join(p for p in (dev.manufacturer, dev.product) if p)
        except (ValueError, usb.core.USBError):  # no permission to read the strings
            name = ""
        if PRINTER_CLASS in classes or (VENDOR_CLASS in classes and PRINTERISH.search(name)):
            found.append(_usb_entry(dev.idVendor, dev.idProduct, name or "USB printer", f"{dev.bus}-{dev.address}"))
    return found


def serial_ports() -> list[Found]:
    from serial.tools import list_ports

    found = []
    for port in sorted(list_ports.comports(), key=lambda p: p.device):
        short = Path(port.device).name
        description = port.description if port.description != "n/a" else "serial port"
        found.append(Found("serial", port.device, description,
                           {"name": f"serial-{short}"[:16], "type": "serial", "port": port.device,
                            "baudrate": 19200, "width_mm": 80}))
    return found


def discover(sysfs: Path = SYSFS_USB) -> list[Found]:
    usb = usb_from_pyusb() if sysfs == SYSFS_USB else None
    return [*(usb if usb is not None else usb_from_sysfs(sysfs)), *serial_ports()]
