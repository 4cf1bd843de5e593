"""AtModem: the Modem interface over AT commands in PDU mode, through pyserial."""

from __future__ import annotations

import contextlib
import logging
import random
import threading
import time

from hardware.at import replies
from hardware.at.commands import ESC, AtChannel, Timeouts
from hardware.at.events import event_for
from hardware.at.lines import Urc
from hardware.at.port import SerialPort
from hardware.at.startup import Startup
from hardware.errors import (
    CmeError,
    CmsError,
    CommandError,
    ModemError,
    ModemNotReady,
    PortLost,
)
from hardware.modem import (
    BeforeBody,
    Identity,
    InFlight,
    Modem,
    ModemEvent,
    NetworkState,
    Sent,
    StoredPdu,
)
from hardware.pdu import PduError, encode_submit

log = logging.getLogger(__name__)

# 27.005 AT+CMMS: the modem keeps the radio link up only if the next AT+CMGS follows
# within 1-5 s. A send later than this starts a new burst and sets the mode again,
# since a modem that dropped the link may have dropped the mode with it.
BURST_GAP = 5.0  # seconds
REFUSALS = (CommandError, CmeError, CmsError)
INVALID_INDEX = (321, 21)  # CMS "invalid memory index", CME "invalid index"


class AtModem(Modem):
    """A GSM modem driven with AT commands over a serial port (`port` is a pyserial URL).

    A PIN the SIM refuses is never offered again by this object: three tries lock the
    SIM behind its PUK, and a daemon retrying open() in a loop would do exactly that.
    """

    def __init__(
        self,
        name: str,
        port: str,
        *,
        baudrate: int = 115200,
        pin: str = "",
        timeouts: Timeouts | None = None,
        registration_timeout: float = 60.0,
    ) -> None:
        if pin and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError(f"modem {name!r}: a SIM PIN is 4 to 8 digits")
        self.name = name
        self.port = port
        self.timeouts = timeouts or Timeouts()
        self._baudrate = baudrate
        self._startup = Startup(name, pin, self.timeouts, registration_timeout)
        self._serial: SerialPort | None = None
        self._channel: AtChannel | None = None
        self._cmms = True  # until the modem refuses AT+CMMS=2
        self._last_send: float | None = None
        # Concatenation references roll per message; a random start keeps a restarted
        # daemon from reusing the reference of parts a phone is still reassembling.
        self._concat_ref = random.randrange(1, 256)
        self._send_lock = threading.Lock()

    # -- life cycle ---------------------------------------------------------------

    def open(self) -> None:
        """Open and set up the modem.

        On ModemNotReady (SIM locked, no network, no service centre) the port stays
        open, so identity() and network() can still say what is wrong; on any other
        error it is closed. Calling open() again starts afresh.
        """
        self.close()
        port = SerialPort(self.port, self._baudrate)
        port.open()
        channel = AtChannel(port.write, self._on_urc, self.timeouts)
        self._serial, self._channel = port, channel
        port.start(channel.feed, lambda reason: self._on_lost(channel, reason))
        try:
            port.write(ESC)  # a previous run may have died at the "> " prompt
            self._startup.run(channel)
        except ModemNotReady:
            raise  # the modem answers: the port stays open for identity() and network()
        except BaseException:
            self.close()
            raise
        log.info("%s: modem ready on %s", self.name, self.port)

    def close(self) -> None:
        port, channel = self._serial, self._channel
        self._serial = self._channel = None
        if channel is not None:
            channel.lost("closed")
        if port is not None:
            port.close()

    # -- sending ------------------------------------------------------------------

    def send(
        self,
        to: str,
        text: str,
        *,
        status_report: bool = False,
        before_body: BeforeBody | None = None,
        in_flight: InFlight | None = None,
    ) -> Sent:
        channel = self._require()
        with self._send_lock:
            ref = self._concat_ref
            self._concat_ref = ref % 255 + 1
        try:
            parts = encode_submit(to, text, status_report=status_report, concat_ref=ref)
        except PduError as exc:
            raise ModemError(f"cannot encode a message to {to!r}: {exc}", permanent=True) from exc
        self._start_burst(channel)
        references = []
        for part in parts:
            lines = channel.send_pdu(
                f"AT+CMGS={part.tpdu_length}", part.pdu, before_body, in_flight
            )
            before_body = in_flight = None  # once, for the first part
            references.append(replies.message_reference(lines))
            self._last_send = time.monotonic()
        return Sent(tuple(references))

    def _start_burst(self, channel: AtChannel) -> None:
        last = self._last_send
        if not self._cmms or (last is not None and time.monotonic() - last < BURST_GAP):
            return
        try:
            channel.command("AT+CMMS=2")
        except REFUSALS as exc:
            log.info("%s: modem refuses AT+CMMS=2 (%s); sending without it", self.name, exc)
            self._cmms = False

    # -- the message store --------------------------------------------------------

    def list_stored(self) -> list[StoredPdu]:
        return replies.listing(self._require().command("AT+CMGL=4"))

    def read_stored(self, index: int) -> StoredPdu | None:
        try:
            lines = self._require().command(f"AT+CMGR={int(index)}")
        except (CmsError, CmeError) as exc:
            if exc.code in INVALID_INDEX:
                return None
            raise
        return replies.stored(index, lines)

    def delete_stored(self, index: int) -> None:
        """Deleting an empty slot counts as done: the goal, an empty slot, is reached."""
        try:
            self._require().command(f"AT+CMGD={int(index)}")
        except (CmsError, CmeError) as exc:
            if exc.code not in INVALID_INDEX:
                raise

    # -- what the modem is --------------------------------------------------------

    def identity(self) -> Identity:
        """What the modem says it is; a field it refuses (the IMSI of a locked SIM) is ""."""
        channel = self._require()

        def ask(command: str) -> str:
            try:
                return replies.first_value(channel.command(command), command[2:])
            except REFUSALS:
                return ""

        return Identity(
            manufacturer=ask("AT+CGMI"),
            model=ask("AT+CGMM"),
            revision=ask("AT+CGMR"),
            imei=ask("AT+CGSN"),
            imsi=ask("AT+CIMI"),
        )

    def network(self) -> NetworkState:
        channel = self._require()
        sim = self._startup.sim_state(channel)
        registration = self._startup.registration(channel)
        operator, rssi = "", None
        with contextlib.suppress(*REFUSALS):
            channel.command("AT+COPS=3,0")  # long alphanumeric names in AT+COPS?
            operator = replies.operator(channel.command("AT+COPS?"))
        with contextlib.suppress(*REFUSALS):
            rssi = replies.rssi(channel.command("AT+CSQ"))
        return NetworkState(registration=registration, operator=operator, rssi=rssi, sim=sim)

    # -- the reader thread's side ---------------------------------------------------

    def _on_urc(self, urc: Urc) -> None:
        event = event_for(urc)
        if event is not None:
            self._emit(event)

    def _on_lost(self, channel: AtChannel, reason: str) -> None:
        channel.lost(reason)
        if channel is self._channel:
            log.error("%s: lost %s: %s", self.name, self.port, reason)
            self._emit(ModemEvent("port-lost", line=reason))

    def _require(self) -> AtChannel:
        channel = self._channel
        if channel is None:
            raise PortLost(f"{self.name}: {self.port} is not open")
        return channel
