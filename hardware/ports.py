"""Serial ports that look like GSM modems: what `smsgw modem list` shows.

A port is a "modem" when its USB vendor makes GSM modems and dongles, "maybe" when it is a
USB serial port of another maker (a USB-serial adapter with a SIM800 board behind it, an
unknown rebadged dongle). Built-in UARTs (ttyS*, ttyAMA*) are not listed.

A dongle usually shows several ports (modem, diagnostics, GNSS, the AT "PC UI" port) and
which one answers AT differs by model: every one is listed with its USB interface, and the
notes say what is known. The name to put in the config is the /dev/serial/by-id/ link
when there is one: ttyUSB2 may come back as ttyUSB5 after a re-plug, the link does not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass

from serial.tools import list_ports
from serial.tools.list_ports_common import ListPortInfo

BY_ID = "/dev/serial/by-id"

# USB vendor IDs of GSM/LTE modem and dongle makers.
VENDORS: dict[int, str] = {
    0x12D1: "Huawei",
    0x19D2: "ZTE",
    0x1199: "Sierra Wireless",
    0x2C7C: "Quectel",
    0x1E0E: "SIMCom",
    0x1BC7: "Telit",
    0x1546: "u-blox",
    0x2CB7: "Fibocom",
    0x1BBB: "Alcatel/TCL",
    0x0AF0: "Option",
    0x1410: "Novatel",
    0x05C6: "Qualcomm",  # the reference design under many rebadged dongles
    0x1E2D: "Cinterion (Thales/Gemalto)",
    0x1C9E: "Longcheer",  # rebadged dongles
}

_QUECTEL_PORTS = "AT on interface 2 (usually ttyUSB2); 1 is GNSS NMEA, 3 the PPP modem port"
_HUAWEI_PORTS = "several ports: the modem and 'PC UI' interfaces answer AT; probe each"

# (vendor, product) -> (model, note)
PRODUCTS: dict[tuple[int, int], tuple[str, str]] = {
    (0x12D1, 0x1001): ("E169/E620/E1550 family", _HUAWEI_PORTS),
    (0x12D1, 0x1003): ("E220/E270", _HUAWEI_PORTS),
    (0x12D1, 0x1436): (
        "E173/E1750 family",
        _HUAWEI_PORTS + "; never AT+CFUN=1,1: it comes back as a USB CD-ROM",
    ),
    (0x12D1, 0x1506): ("E3372/E398 (modem mode)", _HUAWEI_PORTS),
    (0x2C7C, 0x0121): ("EC21 (LTE Cat 1)", _QUECTEL_PORTS),
    (0x2C7C, 0x0125): ("EC25 (LTE Cat 4)", _QUECTEL_PORTS),
    (0x2C7C, 0x0296): ("BG96 (LTE-M/NB-IoT)", _QUECTEL_PORTS),
    (0x2C7C, 0x0306): ("EG06/EP06 (LTE Cat 6)", _QUECTEL_PORTS),
    (0x1E0E, 0x9001): ("SIM7100/SIM7600 family", "AT on interface 2 (usually ttyUSB2)"),
    (0x1199, 0x68C0): ("MC7304/MC7354 family", "the AT port is usually ttyUSB2"),
    (0x1199, 0x9071): ("MC7455/EM7455", "the AT port is usually ttyUSB2"),
    (0x1546, 0x1141): ("SARA-U2/LISA-U2", "several ttyACM ports; the first answers AT"),
}

# Same vendors, not modems: u-blox's GNSS receivers are common on a Pi.
NOT_MODEMS = frozenset({(0x1546, pid) for pid in (0x01A5, 0x01A6, 0x01A7, 0x01A8, 0x01A9)})

# USB-serial adapters: a serial GSM board may sit behind one.
ADAPTERS: dict[int, str] = {
    0x0403: "FTDI",
    0x067B: "Prolific",
    0x10C4: "Silicon Labs CP210x",
    0x1A86: "WCH CH340",
}
_ADAPTER_NOTE = "a USB-serial adapter: a serial GSM board (SIM800, SIM900) may be wired to it"
_USB_TTY = re.compile(r"tty(USB|ACM)\d+$")
_INTERFACE = re.compile(r":\d+\.(\d+)$")  # sysfs location "1-1.2:1.2" ends in config.interface


@dataclass(frozen=True)
class PortInfo:
    device: str  # the name for the config: the /dev/serial/by-id/ link when there is one
    tty: str  # the kernel's name now, e.g. /dev/ttyUSB2
    match: str  # "modem" (a modem maker's USB id) or "maybe"
    vendor: str
    product: str
    vid: int | None = None
    pid: int | None = None
    interface: str = ""  # USB interface number, "" when unknown
    serial_number: str = ""
    note: str = ""

    @property
    def usb_id(self) -> str:
        """The form lsusb prints ("12d1:1506"); "" for a port without USB ids."""
        if self.vid is None or self.pid is None:
            return ""
        return f"{self.vid:04x}:{self.pid:04x}"


def find_modems(ports: Iterable[ListPortInfo] | None = None, by_id: str = BY_ID) -> list[PortInfo]:
    """Ports that are or may be GSM modems, modems first, each group in tty order.

    `ports` defaults to pyserial's comports(); `by_id` is where the stable links live.
    """
    found = list(list_ports.comports()) if ports is None else list(ports)
    links = _links(by_id)
    infos = [info for info in (_classify(port, links) for port in found) if info is not None]
    return sorted(infos, key=lambda i: (i.match != "modem", _natural(i.tty)))


def _classify(port: ListPortInfo, links: dict[str, str]) -> PortInfo | None:
    tty = os.path.realpath(port.device)
    vid, pid = port.vid, port.pid
    usb_tty = bool(_USB_TTY.search(tty))
    if vid is None and not usb_tty:
        return None  # a built-in UART or a virtual port
    if vid is not None and pid is not None and (vid, pid) in NOT_MODEMS:
        return None
    known = vid is not None and vid in VENDORS
    if not known and not usb_tty:
        return None
    model, note = PRODUCTS.get((vid or 0, pid or 0), ("", ""))
    if vid is not None and vid in ADAPTERS:
        note = _ADAPTER_NOTE
    vendor = VENDORS.get(vid or 0) or ADAPTERS.get(vid or 0) or (port.manufacturer or "")
    interface = _INTERFACE.search(port.location or "")
    return PortInfo(
        device=links.get(tty, port.device),
        tty=tty,
        match="modem" if known else "maybe",
        vendor=vendor,
        product=model or port.product or _description(port),
        vid=vid,
        pid=pid,
        interface=interface[1] if interface else (port.interface or ""),
        serial_number=port.serial_number or "",
        note=note,
    )


def _links(directory: str) -> dict[str, str]:
    """tty path -> its /dev/serial/by-id/ link."""
    try:
        names = sorted(os.listdir(directory))
    except OSError:  # no USB serial device plugged in: the directory does not exist
        return {}
    links: dict[str, str] = {}
    for name in names:
        path = os.path.join(directory, name)
        links.setdefault(os.path.realpath(path), path)
    return links


def _description(port: ListPortInfo) -> str:
    description = str(port.description or "")
    return "" if description == "n/a" else description


def _natural(name: str) -> tuple[str | int, ...]:
    """ttyUSB2 before ttyUSB10."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name))
