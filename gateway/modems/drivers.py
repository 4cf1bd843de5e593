"""Turns a [[modem]] entry into a driver. The only place gateway/ names a driver class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gateway.core.config import ConfigError, ModemConfig
from hardware.errors import ModemNotReady
from hardware.modem import Identity, Modem, NetworkState

if TYPE_CHECKING:
    from hardware.at.commands import Timeouts
    from hardware.emulator import Emulator


PROBE_REGISTRATION_WAIT = 3.0  # seconds; a probe only wants the IMEI


@dataclass
class BuiltModem:
    modem: Modem
    emulator: Emulator | None = None  # driver = "emulator": the modem it runs in this process
    probe: Callable[[str], Modem] | None = None  # opens a stranger's port to ask its IMEI

    def cleanup(self) -> None:
        if self.emulator is not None:
            self.emulator.stop()


def build(settings: ModemConfig) -> BuiltModem:
    from hardware.at.modem import AtModem

    def probe(path: str) -> Modem:
        return AtModem(
            f"{settings.name}-probe",
            path,
            baudrate=settings.baudrate,
            registration_timeout=PROBE_REGISTRATION_WAIT,
        )

    if settings.driver == "at":
        return BuiltModem(
            AtModem(settings.name, settings.port, baudrate=settings.baudrate, pin=settings.pin),
            probe=probe,
        )
    if settings.driver == "emulator":
        from hardware.emulator import Emulator

        emulator = Emulator(
            number=settings.number,
            send_latency=settings.send_latency,
            fail_every=settings.fail_every,
            log_path=settings.log or None,
            inject_dir=settings.inject_dir or None,
            link=settings.port or None,
            pin=settings.pin,
        )
        device = emulator.start()
        return BuiltModem(AtModem(settings.name, device, pin=settings.pin), emulator, probe)
    if settings.driver == "gammu":
        try:
            from hardware.gammu import GammuModem
        except ImportError as exc:
            raise ConfigError(f"modem {settings.name!r}: driver 'gammu' needs {exc}") from None
        modem = GammuModem(
            settings.name, settings.port, pin=settings.pin, baudrate=settings.baudrate
        )
        return BuiltModem(modem, probe=probe)
    raise ConfigError(f"modem {settings.name!r}: unknown driver {settings.driver!r}")


def prober(
    driver: str,
    port: str,
    *,
    name: str,
    baudrate: int,
    pin: str,
    registration_timeout: float,
    timeouts: Timeouts | None = None,
) -> Modem:
    """A driver to question a modem once (`modem probe`, `doctor`), not to run it."""
    if driver == "gammu":
        from hardware.gammu import GammuModem

        return GammuModem(
            name, port, pin=pin, baudrate=baudrate, registration_timeout=registration_timeout
        )
    from hardware.at.modem import AtModem

    extra = {"timeouts": timeouts} if timeouts is not None else {}
    return AtModem(
        name,
        port,
        baudrate=baudrate,
        pin=pin,
        registration_timeout=registration_timeout,
        **extra,
    )


@dataclass(frozen=True)
class Answers:
    state: str  # "ready", or why not (a ModemNotReady's state)
    problem: str
    identity: Identity
    network: NetworkState


def ask(modem: Modem) -> Answers:
    """Open, ask what the modem is and how its network stands, close. A modem that is not
    ready (no SIM, a PIN wanted) still answers both; ModemError is left to the caller."""
    state, problem = "ready", ""
    try:
        try:
            modem.open()
        except ModemNotReady as exc:
            state, problem = exc.state, str(exc)
        return Answers(state, problem, modem.identity(), modem.network())
    finally:
        modem.close()
