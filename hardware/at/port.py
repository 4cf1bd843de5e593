"""The serial device and the one thread that reads it.

`serial.serial_for_url` means the same code opens `/dev/ttyUSB2`, a pseudo-terminal of
the emulator, `loop://` or `rfc2217://host:port`. A device that errors while being read
(USB unplugged: EIO, or "readiness to read but returned no data") ends the reader with
one call to `on_lost`, never an exception in a thread nobody watches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import serial

from hardware.errors import ModemTimeout, PortLost

log = logging.getLogger(__name__)

# Seconds. A read blocks until data comes; close() wakes it with cancel_read, and this
# bounds the wait should a port type not support that.
READ_WAKEUP = 1.0
WRITE_TIMEOUT = 5.0  # seconds; a modem that holds CTS off this long is not taking data


class SerialPort:
    """One open serial device; `start` hands every byte read to `on_data`."""

    def __init__(self, url: str, baudrate: int = 115200) -> None:
        self.url = url
        self.baudrate = baudrate
        self._serial: serial.Serial | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def open(self) -> None:
        try:
            self._serial = serial.serial_for_url(
                self.url,
                baudrate=self.baudrate,
                timeout=READ_WAKEUP,
                write_timeout=WRITE_TIMEOUT,
                exclusive=True,  # ModemManager or a second daemon must not share it
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortLost(f"cannot open {self.url}: {exc}") from exc

    def start(self, on_data: Callable[[bytes], None], on_lost: Callable[[str], None]) -> None:
        """Start the reader thread. `on_lost` is called once if the device goes away."""
        ser = self._require()
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._read_loop, args=(ser, on_data, on_lost), name=f"at-reader {self.url}"
        )
        self._thread.daemon = True  # a hung device must not keep the process alive
        self._thread.start()

    def write(self, data: bytes) -> None:
        ser = self._require()
        try:
            ser.write(data)
        except serial.SerialTimeoutException as exc:
            raise ModemTimeout("write", WRITE_TIMEOUT, []) from exc
        except (serial.SerialException, OSError) as exc:
            raise PortLost(f"write to {self.url} failed: {exc}") from exc

    def reset_input(self) -> None:
        """Throw away bytes the device sent before anyone asked (boot noise)."""
        try:
            self._require().reset_input_buffer()
        except (serial.SerialException, OSError) as exc:
            raise PortLost(f"{self.url}: {exc}") from exc

    def close(self) -> None:
        """Stop the reader and release the device. Safe to call twice, or after a loss."""
        self._stopping.set()
        ser, self._serial = self._serial, None
        if ser is None:
            return
        try:
            ser.cancel_read()
        except Exception:  # a dead device may refuse even this
            log.debug("cancel_read on %s failed", self.url, exc_info=True)
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2 * READ_WAKEUP)
        try:
            ser.close()
        except (serial.SerialException, OSError):
            log.debug("closing %s failed", self.url, exc_info=True)

    def _require(self) -> serial.Serial:
        if self._serial is None:
            raise PortLost(f"{self.url} is not open")
        return self._serial

    def _read_loop(
        self,
        ser: serial.Serial,
        on_data: Callable[[bytes], None],
        on_lost: Callable[[str], None],
    ) -> None:
        while not self._stopping.is_set():
            try:
                data = ser.read(ser.in_waiting or 1)
            except Exception as exc:  # any failure here means the port is gone
                if not self._stopping.is_set():
                    log.warning("lost %s: %s", self.url, exc)
                    on_lost(str(exc) or type(exc).__name__)
                return
            if not data:
                continue
            try:
                on_data(data)
            except Exception:  # a bug above must not silence the modem for good
                log.exception("handling data from %s failed", self.url)
