"""gammu's words for the SIM, the network and the signal, in NetworkState's words."""

from __future__ import annotations

from typing import Any

# GetNetworkInfo()["State"] (and "PacketState") -> NetworkState.registration
REGISTRATION = {
    "HomeNetwork": "home",
    "RoamingNetwork": "roaming",
    "RequestingNetwork": "searching",
    "RegistrationDenied": "denied",
    "NoNetwork": "unregistered",
    "Unknown": "unknown",
    "NetworkStatusUnknown": "unknown",
}

# GetSecurityStatus() -> NetworkState.sim; None means nothing to enter.
SIM_STATES = {None: "ready", "PIN": "pin-required", "PUK": "puk-required"}


def registration(info: dict[str, Any]) -> str:
    """CS registration, or packet (EPS) registration for LTE modules that attach only there."""
    circuit = REGISTRATION.get(str(info.get("State")), "unknown")
    if circuit in ("home", "roaming"):
        return circuit
    packet = REGISTRATION.get(str(info.get("PacketState")), "unknown")
    return packet if packet in ("home", "roaming") else circuit


def sim_state(code: str | None) -> str:
    """The SIM state: None is "ready", "PIN" is "pin-required", "Phone" "phone-required"."""
    return SIM_STATES.get(code) or f"{str(code).lower()}-required"


def rssi(quality: dict[str, Any]) -> int | None:
    """27.007 <rssi> (0-31) from gammu's dBm; gammu gives -1 for unknown (+CSQ: 99)."""
    dbm = int(quality.get("SignalStrength", -1))
    if dbm == -1:
        return None
    return max(0, min(31, (dbm + 113) // 2))


def model(answer: Any) -> str:
    """GetModel() gives (gammu's name for it, the modem's own); prefer the modem's."""
    if isinstance(answer, tuple | list) and answer:
        own = str(answer[-1]) if len(answer) > 1 else ""
        return own or str(answer[0])
    return str(answer or "")


def firmware(answer: Any) -> str:
    """GetFirmware() gives (version, date, number)."""
    if isinstance(answer, tuple | list) and answer:
        return str(answer[0])
    return str(answer or "")
