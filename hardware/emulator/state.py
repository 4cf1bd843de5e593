"""The settings a client changes with AT commands, and the fixed facts about the modem."""

from __future__ import annotations

from dataclasses import dataclass, field

PIN_ATTEMPTS = 3  # then the SIM wants its PUK, as a real one does
SWAPPED_SIM_PIN = "0000"  # what a SIM swapped in asks for when the emulator was given none


# MCC+MNC of the UK networks, for AT+COPS in numeric format and the IMSI; 001/01 is the
# 3GPP test network, for any other name.
OPERATOR_CODES = {"EE": "23430", "O2": "23410", "Vodafone": "23415", "Three": "23420"}


@dataclass(frozen=True)
class Profile:
    """What the emulated modem and its SIM are; fixed for the emulator's life."""

    number: str = "+447700900000"
    operator: str = "EE"
    imei: str = "356938035643809"
    manufacturer: str = "smsgw"
    model: str = "SMSGW-EMU"
    revision: str = "1.0.0"
    pin: str = ""
    smsc: str = "+447700900999"

    @property
    def operator_numeric(self) -> str:
        return OPERATOR_CODES.get(self.operator, "00101")

    @property
    def imsi(self) -> str:
        return (self.operator_numeric + "1234567890")[:15]


@dataclass
class Settings:
    """The volatile settings `ATZ` puts back; a client sets them again after it opens."""

    echo: bool = True
    cmee: int = 0
    cmgf: int = 0  # 0 PDU mode, 1 text mode
    cscs: str = "IRA"
    creg: int = 0
    cmms: int = 0
    cnmi: tuple[int, int, int, int, int] = (0, 0, 0, 0, 0)  # mode, mt, bm, ds, bfr
    cops_format: int = 0  # 0 long alphanumeric, 1 short, 2 numeric
    csdh: int = 0

    @property
    def cmti_enabled(self) -> bool:
        """+CMTI goes to the terminal when <mt> is 1 and <mode> does not buffer them."""
        mode, mt = self.cnmi[0], self.cnmi[1]
        return mt == 1 and mode != 0

    @property
    def cds_enabled(self) -> bool:
        """ds=1: a status report comes to the terminal as `+CDS: <length>` and its PDU."""
        mode, ds = self.cnmi[0], self.cnmi[3]
        return ds == 1 and mode != 0

    @property
    def cds_stored(self) -> bool:
        """ds=2: a status report is stored and announced as `+CDSI: <mem>,<index>`."""
        mode, ds = self.cnmi[0], self.cnmi[3]
        return ds == 2 and mode != 0


@dataclass
class SimState:
    """The SIM lock: READY, waiting for the PIN, or locked behind the PUK."""

    pin: str
    attempts_left: int = PIN_ATTEMPTS
    unlocked: bool = field(init=False)

    def __post_init__(self) -> None:
        self.unlocked = self.pin == ""

    @property
    def status(self) -> str:
        """The `+CPIN:` answer."""
        if self.unlocked:
            return "READY"
        return "SIM PIN" if self.attempts_left > 0 else "SIM PUK"

    def lock(self) -> None:
        """A SIM was swapped in: it wants its PIN, whatever the client entered before."""
        self.pin = self.pin or SWAPPED_SIM_PIN
        self.attempts_left = PIN_ATTEMPTS
        self.unlocked = False

    def power_on(self) -> None:
        """The modem restarted: a SIM with a PIN locks again; its tries left are kept."""
        self.unlocked = self.pin == ""

    def enter(self, pin: str) -> bool:
        """Offer a PIN; a wrong one costs an attempt."""
        if pin == self.pin:
            self.unlocked = True
            self.attempts_left = PIN_ATTEMPTS
            return True
        self.attempts_left -= 1
        return False
