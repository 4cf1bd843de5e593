"""Errors a modem driver raises, each carrying the modem's own code where it gave one.

Callers above the hardware layer need only two facts: what went wrong, in words, and
whether trying again could help (`permanent`). The code tables below decide the second.
"""

from __future__ import annotations


class ModemError(Exception):
    """Anything that went wrong talking to a modem."""

    permanent: bool = False

    def __init__(self, message: str, *, permanent: bool | None = None) -> None:
        super().__init__(message)
        if permanent is not None:
            self.permanent = permanent


class ModemTimeout(ModemError):
    """The modem did not finish its answer in time; `partial` holds what it did say."""

    def __init__(self, command: str, timeout: float, partial: list[str]) -> None:
        super().__init__(f"no answer to {command!r} within {timeout:g} s (got {partial!r})")
        self.command = command
        self.timeout = timeout
        self.partial = partial


class PortLost(ModemError):
    """The serial port went away (USB unplugged, emulator gone, device error)."""


class ModemNotReady(ModemError):
    """The modem cannot send now: no SIM, PIN refused, not registered, no service centre."""

    def __init__(self, message: str, *, state: str) -> None:
        super().__init__(message)
        self.state = state


class PinRefused(ModemNotReady):
    """The SIM refused the configured PIN. It is never offered again: a retry loop
    would use up the three attempts and lock the SIM behind its PUK."""

    permanent = True

    def __init__(self, message: str) -> None:
        super().__init__(message, state="pin-refused")


class GarbledReply(ModemError):
    """The modem answered, but not in a form the command expects."""


# 3GPP TS 27.005 section 3.2.5 (+CMS ERROR). Codes 0-255 are network causes from
# TS 24.011 and TS 23.040; 300-511 come from the modem itself. These say the message
# itself can never go: the number does not exist, is barred, or the PDU is wrong.
PERMANENT_CMS = frozenset(
    {
        1,  # unassigned (unallocated) number
        8,  # operator determined barring
        10,  # call barred
        21,  # short message transfer rejected
        29,  # facility rejected
        30,  # unknown subscriber
        50,  # requested facility not subscribed
        69,  # requested facility not implemented
        96,  # invalid mandatory information
        97,  # message type non-existent
        99,  # information element non-existent
        128,  # telematic interworking not supported
        129,  # short message type 0 not supported
        176,  # TPDU not supported
        301,  # SMS service of ME reserved
        302,  # operation not allowed
        303,  # operation not supported
        304,  # invalid PDU mode parameter
        305,  # invalid text mode parameter
    }
)

# TS 27.007 section 9.2 (+CME ERROR): codes that mean the SIM or the modem needs a
# person, not a retry.
PERMANENT_CME = frozenset({10, 11, 12, 13, 16, 17, 18, 262, 263})


class CmsError(ModemError):
    """`+CMS ERROR: <code>`: the network or the modem's SMS service refused."""

    def __init__(self, code: int, command: str = "") -> None:
        self.code = code
        self.command = command
        super().__init__(
            f"+CMS ERROR {code}" + (f" on {command}" if command else ""),
            permanent=code in PERMANENT_CMS,
        )


class CmeError(ModemError):
    """`+CME ERROR: <code>`: the modem (often the SIM) refused a command."""

    def __init__(self, code: int, command: str = "") -> None:
        self.code = code
        self.command = command
        super().__init__(
            f"+CME ERROR {code}" + (f" on {command}" if command else ""),
            permanent=code in PERMANENT_CME,
        )


class CommandError(ModemError):
    """A plain `ERROR` with no code: usually a command this modem does not support."""
