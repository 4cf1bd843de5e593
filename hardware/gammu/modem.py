"""GammuModem: the Modem interface through python-gammu (libgammu's AT support)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from typing import Any

import gammu

from hardware.errors import ModemError, ModemNotReady, PortLost
from hardware.gammu import status
from hardware.gammu.incoming import Incoming
from hardware.gammu.owner import GammuOwner
from hardware.gammu.startup import Startup, Timeouts, answer_or
from hardware.gammu.stored import list_all, to_stored
from hardware.gammu.tap import DebugTap
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
from hardware.pdu import PduError, segments

log = logging.getLogger(__name__)

NUMBER = re.compile(r"\+?[0-9]{1,20}")
# 27.005 +CNMI=<mode>,<mt>,<bm>,<ds>,<bfr>: +CMTI for stored messages, +CDS for status
# reports. python-gammu's SetConfig leaves these at 0 and SetIncomingSMS then says "not
# supported"; only a config file (atgen_setcnmi) sets them, hence gammurc() below.
CNMI = "2,1,0,1,0"
# libgammu sends "~" as U+0001 in UCS-2 messages (a workaround for old Nokia phones) and
# offers no way round it; a phone shows U+0001 as nothing, so send the look-alike instead.
UCS2_TILDE = "\u223c"
IDLE_INTERVAL = 0.15  # seconds between ReadDevice calls: how soon a +CMTI is seen


class GammuModem(Modem):
    """A GSM modem driven by libgammu over a serial port (`port` is its device path).

    `incoming`: "auto" takes gammu's new-message callbacks and falls back to polling the
    store when the modem will not give them; "poll" always polls.
    A PIN the SIM refuses is never offered again by this object.
    """

    def __init__(
        self,
        name: str,
        port: str,
        *,
        pin: str = "",
        connection: str = "at",
        baudrate: int = 115200,
        registration_timeout: float = 60.0,
        timeouts: Timeouts | None = None,
        incoming: str = "auto",
    ) -> None:
        if pin and not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
            raise ValueError(f"modem {name!r}: a SIM PIN is 4 to 8 digits")
        if not port or any(ch in port for ch in "\r\n"):
            raise ValueError(f"modem {name!r}: bad port {port!r}")
        if not re.fullmatch(r"[a-z][a-z0-9-]*", connection):
            raise ValueError(f"modem {name!r}: bad gammu connection {connection!r}")
        if incoming not in ("auto", "poll"):
            raise ValueError(f"modem {name!r}: incoming must be 'auto' or 'poll'")
        self.name = name
        self.port = port
        self.timeouts = timeouts or Timeouts()
        # gammu takes the speed in the connection name: "at115200".
        speed = str(baudrate) if connection == "at" and baudrate else ""
        self.connection = connection + speed
        self._startup = Startup(name, pin, self.timeouts, registration_timeout)
        self._incoming = Incoming(name, self._emit, poll=incoming == "poll")
        self._owner: GammuOwner | None = None
        self._workdir: str | None = None

    # -- life cycle ---------------------------------------------------------------------

    def open(self) -> None:
        """Connect and set up the modem.

        On ModemNotReady (SIM locked, no network, no service centre) the connection stays,
        so identity() and network() can say what is wrong; on any other error it is closed.
        """
        self.close()
        workdir = tempfile.mkdtemp(prefix="smsgw-gammu-")  # 0700: the log holds a PIN briefly
        tap = DebugTap(workdir)
        config = gammurc(workdir, self.port, self.connection, tap.path)
        owner = GammuOwner(
            self.name,
            self.port,
            tap,
            idle=self._incoming.idle,
            on_batch=self._incoming.batch,
            on_lost=self._on_lost,
            idle_interval=IDLE_INTERVAL,
        )
        self._owner, self._workdir = owner, workdir
        owner.start()
        try:
            owner.connect(config, self.timeouts.init)
            self._startup.unlock_sim(owner)
            self._incoming.enable(owner, self.timeouts.call)
            self._startup.wait_registered(owner)
            self._startup.wait_service_centre(owner)
        except ModemNotReady:
            raise  # the modem answers: keep it for identity() and network()
        except BaseException:
            self.close()
            raise
        log.info("%s: modem ready on %s (gammu)", self.name, self.port)

    def close(self) -> None:
        owner, workdir = self._owner, self._workdir
        self._owner = self._workdir = None
        self._incoming.disable()
        if owner is not None:
            owner.stop(self.timeouts.stop)
        if workdir is not None:
            shutil.rmtree(workdir, ignore_errors=True)

    # -- sending ------------------------------------------------------------------------

    def send(
        self,
        to: str,
        text: str,
        *,
        status_report: bool = False,
        before_body: BeforeBody | None = None,
        in_flight: InFlight | None = None,
    ) -> Sent:
        owner = self._require()
        if not NUMBER.fullmatch(to):
            raise ModemError(f"cannot send to {to!r}: not '+' and digits", permanent=True)
        try:
            plan = segments(text)
        except PduError as exc:
            raise ModemError(f"cannot encode a message to {to!r}: {exc}", permanent=True) from exc
        unicode = plan.encoding == "ucs2"
        body = text.replace("~", UCS2_TILDE) if unicode else text

        def send_all(sm: Any) -> tuple[int, ...]:
            parts = gammu.EncodeSMS(
                {
                    "Class": -1,
                    "Unicode": unicode,
                    "Entries": [{"ID": "ConcatenatedTextLong", "Buffer": body}],
                }
            )
            references = []
            for part in parts:
                part["Number"] = to
                part["SMSC"] = {"Location": 1}  # the SIM's service centre
                if status_report:
                    part["Type"] = "Status_Report"  # gammu's way to set TP-SRR
                references.append(int(sm.SendSMS(part)))
            return tuple(references)

        timeout = self.timeouts.call + self.timeouts.send_part * plan.parts
        if before_body is not None:  # gammu has no prompt to overlap it with
            before_body()
        if in_flight is not None:  # the owner thread sends; this one prepares the next
            try:
                in_flight()
            except Exception:
                log.exception("%s: in_flight failed", self.name)
        return Sent(owner.call(send_all, timeout, "SendSMS"))

    # -- the message store --------------------------------------------------------------

    def list_stored(self) -> list[StoredPdu]:
        messages, batch = self._require().call_batch(list_all, self.timeouts.call, "GetNextSMS")
        return [to_stored(sms, batch.stored) for sms in messages]

    def read_stored(self, index: int) -> StoredPdu | None:
        location = int(index)

        def read(sm: Any) -> list[dict[str, Any]]:
            try:
                return list(sm.GetSMS(Folder=0, Location=location))
            except (gammu.ERR_EMPTY, gammu.ERR_INVALIDLOCATION):
                return []

        messages, batch = self._require().call_batch(read, self.timeouts.call, "GetSMS")
        return to_stored(messages[0], batch.stored) if messages else None

    def delete_stored(self, index: int) -> None:
        """Deleting an empty slot counts as done: the goal, an empty slot, is reached."""
        location = int(index)

        def delete(sm: Any) -> None:
            with contextlib.suppress(gammu.ERR_EMPTY, gammu.ERR_INVALIDLOCATION):
                sm.DeleteSMS(Folder=0, Location=location)

        self._require().call(delete, self.timeouts.call, "DeleteSMS")

    # -- what the modem is --------------------------------------------------------------

    def identity(self) -> Identity:
        """What the modem says it is; a field it refuses (the IMSI of a locked SIM) is ""."""

        def ask(sm: Any) -> Identity:
            return Identity(
                manufacturer=str(answer_or("", sm.GetManufacturer)),
                model=status.model(answer_or("", sm.GetModel)),
                revision=status.firmware(answer_or("", sm.GetFirmware)),
                imei=str(answer_or("", sm.GetIMEI)),
                imsi=str(answer_or("", sm.GetSIMIMSI)),
            )

        return self._require().call(ask, self.timeouts.call, "identity")

    def network(self) -> NetworkState:
        owner = self._require()
        sim = self._startup.sim_state(owner)
        registration, operator = self._startup.network(owner)
        rssi = self._startup.rssi(owner)
        return NetworkState(registration=registration, operator=operator, rssi=rssi, sim=sim)

    # -- the owner thread's side --------------------------------------------------------

    def _on_lost(self, reason: str) -> None:
        if self._owner is not None:
            self._emit(ModemEvent("port-lost", line=reason))

    def _require(self) -> GammuOwner:
        owner = self._owner
        if owner is None:
            raise PortLost(f"{self.name}: {self.port} is not open")
        return owner


def gammurc(directory: str, device: str, connection: str, logfile: str) -> str:
    """A private gammu config file; ReadConfig is the only way to set atgen_setcnmi."""
    path = os.path.join(directory, "gammurc")
    with open(path, "w", encoding="utf-8") as f:
        f.write(
            "[gammu]\n"
            f"device = {device}\n"
            f"connection = {connection}\n"
            f"logfile = {logfile}\n"
            "logformat = text\n"
            f"atgen_setcnmi = {CNMI}\n"
        )
    return path
