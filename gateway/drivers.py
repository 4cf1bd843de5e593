"""Turns a [[modem]] entry into a driver. The only place gateway/ names a driver class."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gateway.config import ConfigError, ModemConfig
from hardware.modem import Modem


@dataclass
class BuiltModem:
    modem: Modem
    cleanup: Callable[[], None] | None = None  # stops an in-process emulator


def build(settings: ModemConfig) -> BuiltModem:
    from hardware.at.modem import AtModem

    if settings.driver == "at":
        return BuiltModem(
            AtModem(settings.name, settings.port, baudrate=settings.baudrate, pin=settings.pin)
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
        return BuiltModem(AtModem(settings.name, device, pin=settings.pin), emulator.stop)
    raise ConfigError(f"modem {settings.name!r}: driver {settings.driver!r} is not available yet")
