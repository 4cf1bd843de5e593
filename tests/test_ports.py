"""`find_modems()`: which serial ports look like GSM modems.

No USB modem can be plugged in here, so the ports are pyserial's own ListPortInfo objects
filled in as its Linux backend fills them for real devices; the by-id links are real
symlinks in a temporary directory. One test runs the real scan of this machine.
"""

from __future__ import annotations

import os
from pathlib import Path

from serial.tools.list_ports_common import ListPortInfo

from hardware.ports import PortInfo, find_modems


def usb_port(
    device: str,
    vid: int | None,
    pid: int | None,
    *,
    interface: int = 0,
    product: str = "",
    manufacturer: str = "",
) -> ListPortInfo:
    port = ListPortInfo(device, skip_link_detection=True)
    port.vid, port.pid = vid, pid
    port.location = f"1-1.3:1.{interface}"
    port.product = product or None
    port.manufacturer = manufacturer or None
    port.serial_number = "0123456789" if vid is not None else None
    if vid is not None:
        port.apply_usb_info()
    return port


def by_tty(found: list[PortInfo]) -> dict[str, PortInfo]:
    return {info.tty: info for info in found}


def test_a_huawei_dongles_ports_are_modems_named_by_their_stable_links(tmp_path: Path) -> None:
    link = tmp_path / "usb-HUAWEI_Mobile_0123456789-if02-port0"
    os.symlink("/dev/ttyUSB2", link)
    ports = [usb_port(f"/dev/ttyUSB{i}", 0x12D1, 0x1506, interface=i) for i in range(3)]
    found = by_tty(find_modems(ports, by_id=str(tmp_path)))
    assert set(found) == {"/dev/ttyUSB0", "/dev/ttyUSB1", "/dev/ttyUSB2"}
    at_port = found["/dev/ttyUSB2"]
    assert (at_port.device, at_port.match, at_port.vendor) == (str(link), "modem", "Huawei")
    assert (at_port.usb_id, at_port.interface) == ("12d1:1506", "2")
    assert "E3372" in at_port.product and "PC UI" in at_port.note
    assert found["/dev/ttyUSB0"].device == "/dev/ttyUSB0"  # no link: the tty name it is


def test_a_known_vendor_without_a_product_entry_is_still_a_modem(tmp_path: Path) -> None:
    [info] = find_modems([usb_port("/dev/ttyACM0", 0x1BC7, 0x9999, product="LE910")], str(tmp_path))
    assert (info.match, info.vendor, info.product, info.note) == ("modem", "Telit", "LE910", "")


def test_a_usb_serial_adapter_is_a_maybe_with_a_note(tmp_path: Path) -> None:
    [info] = find_modems([usb_port("/dev/ttyUSB0", 0x1A86, 0x7523)], str(tmp_path))
    assert (info.match, info.vendor) == ("maybe", "WCH CH340")
    assert "SIM800" in info.note


def test_an_unknown_usb_tty_is_a_maybe_and_builtin_uarts_are_left_out(tmp_path: Path) -> None:
    ports = [
        ListPortInfo("/dev/ttyS0", skip_link_detection=True),
        ListPortInfo("/dev/ttyAMA0", skip_link_detection=True),
        usb_port("/dev/ttyACM3", 0x2341, 0x0043, manufacturer="Arduino"),
    ]
    [info] = find_modems(ports, str(tmp_path))
    assert (info.tty, info.match, info.vendor) == ("/dev/ttyACM3", "maybe", "Arduino")


def test_a_ublox_gps_receiver_is_not_taken_for_a_modem(tmp_path: Path) -> None:
    ports = [usb_port("/dev/ttyACM0", 0x1546, 0x01A7), usb_port("/dev/ttyACM1", 0x1546, 0x1141)]
    [info] = find_modems(ports, str(tmp_path))
    assert (info.tty, info.product) == ("/dev/ttyACM1", "SARA-U2/LISA-U2")


def test_modems_come_first_then_maybes_each_in_natural_tty_order(tmp_path: Path) -> None:
    ports = [
        usb_port("/dev/ttyUSB10", 0x2C7C, 0x0125, interface=2),
        usb_port("/dev/ttyUSB0", 0x0403, 0x6001),
        usb_port("/dev/ttyUSB2", 0x2C7C, 0x0125, interface=2),
    ]
    found = find_modems(ports, str(tmp_path))
    assert [i.tty for i in found] == ["/dev/ttyUSB2", "/dev/ttyUSB10", "/dev/ttyUSB0"]
    assert found[0].product == "EC25 (LTE Cat 4)" and "interface 2" in found[0].note


def test_find_modems_runs_on_this_machine() -> None:
    found = find_modems()
    assert all(info.match in ("modem", "maybe") for info in found)
    assert all(info.tty.startswith("/dev/") for info in found)
