"""A worker's hold on its modem: opening the port (and finding the modem again, by IMEI,
when its port moved), losing it, a modem that hangs, and the health samples that say
what state it is in (health.py has the words for them).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from gateway.core.config import Config
from gateway.modems import health
from gateway.modems.status import Recorder
from gateway.outbox.budget import Budget
from hardware.errors import ModemError, ModemNotReady, ModemTimeout, PortLost
from hardware.modem import Modem, NetworkState

log = logging.getLogger(__name__)

RECONNECT_BACKOFF = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds between attempts to reopen
UNHEALTHY_RECHECK = 5.0  # seconds between health samples while a modem cannot send
ProbeFactory = Callable[[str], Modem]


class Link:
    def __init__(
        self,
        modem: Modem,
        name: str,
        config: Config,
        budget: Budget,
        record: Recorder,
        clock: Callable[[], float],
        probe: ProbeFactory | None = None,
    ) -> None:
        self.modem = modem
        self.name = name
        self.config = config
        self.budget = budget
        self._update = record
        self.clock = clock
        self.probe = probe
        self.state = "starting"
        self.connected = False
        self.imei = ""
        self.failures = 0  # failed opens in a row
        self.next_health = 0.0

    def backoff(self) -> float:
        """Seconds to wait before opening the port again."""
        return RECONNECT_BACKOFF[min(self.failures, len(RECONNECT_BACKOFF)) - 1]

    def connect(self) -> bool:
        self.record("starting", "opening the port", port=self.modem.port)
        try:
            self.modem.open()
            ident = self.modem.identity()
            net = self.modem.network()
        except ModemNotReady as exc:
            return self._open_failed(exc.state, str(exc))
        except PortLost as exc:
            if self._relocate():
                return self.connect()
            return self._open_failed("disconnected", str(exc))
        except ModemError as exc:
            return self._open_failed("unresponsive", str(exc))
        self.connected = True
        self.failures = 0
        self.imei = ident.imei or self.imei
        self.next_health = self.clock() + self.config.gateway.health_interval
        self.state, detail = health.state_of(net)
        self.record(
            self.state,
            detail,
            manufacturer=ident.manufacturer,
            model=ident.model,
            imei=ident.imei,
            port=self.modem.port,
            **self._network_info(net),
        )
        log.info(
            "modem %s %s on %s: %s %s, %s",
            self.name,
            self.state,
            self.modem.port,
            ident.manufacturer,
            ident.model,
            net.operator or "operator unknown",
        )
        return True

    def _open_failed(self, state: str, detail: str) -> bool:
        self.failures += 1
        self.modem.close()
        self.state = state
        self.record(state, detail, last_error=detail)
        log.warning("modem %s not usable (%s): %s", self.name, state, detail)
        return False

    def _relocate(self) -> bool:
        """The port is gone: look for our modem, by IMEI, under another name."""
        if not self.imei or self.probe is None:
            return False
        exclude = [self.modem.port]
        path = health.find_by_imei(
            self.imei, health.candidates(self.config.gateway.port_search, exclude), self.probe
        )
        if path is None:
            return False
        log.warning("modem %s found again at %s (was %s)", self.name, path, self.modem.port)
        self.modem.port = path
        return True

    def lost(self, detail: str, state: str = "disconnected") -> None:
        log.warning("modem %s lost: %s", self.name, detail)
        self.connected = False
        self.modem.close()
        self.state = state
        self.record(state, detail, last_error=detail)

    def unresponsive(self, exc: ModemTimeout) -> None:
        """A hung modem: try the AT layer once, then close and reopen the port (never a
        full modem reset: AT+CFUN=1,1 turns some Huawei dongles into a USB disk)."""
        try:
            self.modem.network()
        except ModemError:
            self.lost(f"not answering: {exc}", state="unresponsive")
            return
        log.info("modem %s answered again after: %s", self.name, exc)

    def sample(self, now: float, *, resting: bool) -> None:
        """One health sample: say what changed, and when to look again."""
        net = self.modem.network()
        state, detail = health.state_of(net)
        if resting:
            state = "resting"
        if state != self.state:
            log.warning("modem %s: %s -> %s %s", self.name, self.state, state, detail)
        self.state = state
        ready = state in ("ready", "resting")
        self.next_health = now + (
            self.config.gateway.health_interval if ready else UNHEALTHY_RECHECK
        )
        self.record(state, detail, **self._network_info(net))

    def _network_info(self, net: NetworkState) -> dict[str, object]:
        left = self.budget.remaining()
        return {
            "operator": net.operator,
            "rssi": net.rssi,
            "registration": net.registration,
            "sim": net.sim,
            "day_left": left.messages,
            "recipients_left": left.recipients,
        }

    def record(self, state: str, detail: str = "", **info: object) -> None:
        self._update(state=state, detail=detail, **info)
