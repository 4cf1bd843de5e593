"""What a modem's reading means: one line for the modem, then its SIM, network, signal
and service centre, each saying what to do when it is wrong. The reading may be doctor's
own probe or the running gateway's last record; the judgement is the same.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.config import Config, ModemConfig
from gateway.doctor.check import Check, fail, ok, warn
from hardware.modem import NetworkState

WEAK_DBM = -105  # below this, texts go slowly or not at all
MOVE = (
    "move the dongle higher up or near a window, away from metal, on a USB extension lead, "
    "or fit an external aerial"
)
CHECK_DAEMON = "check the daemon: `systemctl status smsgw` and `journalctl -u smsgw -e`"


@dataclass(frozen=True)
class Reading:
    """A modem's condition, as doctor's probe or the gateway's last record saw it."""

    label: str  # what the modem is and where, for the first line
    state: str  # modem_status.STATES, or a ModemNotReady state such as "no-service-centre"
    problem: str
    sim: str
    registration: str
    operator: str
    rssi: int | None


def judge(config: Config, settings: ModemConfig, reading: Reading) -> list[Check]:
    """One line for the modem, then SIM, network, signal and service centre: each as far as
    the one before lets it mean anything."""
    name = f"modem {settings.name}"
    found = [_state_check(name, reading)]
    sim = sim_check(config, settings, reading.sim)
    found.append(sim)
    if not sim.ok:
        return found
    found.append(network_check(f"{name} network", reading.registration, reading.operator))
    found.append(signal_check(f"{name} signal", reading.rssi))
    if NetworkState(reading.registration).registered:
        if reading.state == "no-service-centre":
            found.append(
                fail(
                    f"{name} service centre",
                    "the SIM holds no SMS service centre number",
                    "put the SIM in a phone and send one text (that usually stores it), "
                    "or ask the network for its service centre number",
                )
            )
        else:
            found.append(ok(f"{name} service centre", "known"))
    return found


# States the SIM, network and signal lines explain; any other needs its own word.
_EXPLAINED = frozenset(
    {
        "ready",
        "no-sim",
        "pin-required",
        "pin-refused",
        "puk-required",
        "not-registered",
        "no-signal",
        "no-service-centre",
    }
)


def _state_check(name: str, reading: Reading) -> Check:
    if reading.state in _EXPLAINED:
        return ok(name, reading.label)
    if reading.state == "resting":
        return warn(name, f"{reading.label}: {reading.problem}", "see `smsgw status`")
    if reading.state == "starting":
        return warn(name, reading.label, "the gateway is opening it: run doctor again in a minute")
    return fail(
        name,
        f"{reading.label}: {reading.problem}" if reading.problem else reading.label,
        "unplug the dongle and plug it back in; " + CHECK_DAEMON,
    )


def sim_check(config: Config, settings: ModemConfig, sim: str) -> Check:
    name = f"modem {settings.name} SIM"
    if sim == "ready":
        return ok(name, "ready")
    if sim == "":
        return warn(name, "not reported yet")
    if sim == "no-sim":
        return fail(
            name, "no SIM card", "insert a SIM (unplug the dongle first) and check it is seated"
        )
    if sim == "pin-required":
        if settings.pin:
            return fail(
                name,
                "SIM asks for a PIN again (was it swapped?)",
                "restart the gateway so it enters modem.pin: `sudo systemctl restart smsgw`",
            )
        return fail(name, "SIM asks for a PIN", f"set modem.pin in {config.path}")
    if sim == "pin-refused":
        return fail(
            name,
            "the SIM refused the PIN",
            f"check modem.pin in {config.path}; after 3 wrong tries it needs the PUK",
        )
    if sim == "puk-required":
        return fail(
            name,
            "the SIM is locked behind its PUK",
            "unlock it in a phone with the PUK from the network, "
            f"then check modem.pin in {config.path}",
        )
    return fail(name, f"SIM state {sim}", "try the SIM in a phone; it may be damaged")


def network_check(name: str, registration: str, operator: str) -> Check:
    if NetworkState(registration).registered:
        return ok(name, f"registered ({registration}) on {operator or 'an unnamed network'}")
    if registration == "denied":
        return fail(
            name,
            "the network refused registration",
            "the SIM may be barred, unpaid or not activated: try it in a phone, ask the network",
        )
    return fail(
        name,
        f"not registered on a network ({registration or 'unknown'})",
        "check the signal and that the SIM's plan is active; a modem just powered on "
        "needs up to a minute: run doctor again",
    )


def signal_check(name: str, rssi: int | None) -> Check:
    net = NetworkState("", rssi=rssi)
    if net.dbm is None or rssi == 0:
        return fail(name, "no usable signal", MOVE)
    strength = f"{net.dbm} dBm, {net.bars} of 5 bars"
    if net.dbm < WEAK_DBM:
        return fail(name, f"too weak ({strength})", MOVE)
    return ok(name, strength)
