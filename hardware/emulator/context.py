"""Everything a command handler may look at or change, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.emulator.faults import Faults, FaultState
from hardware.emulator.network import Network
from hardware.emulator.parser import Command
from hardware.emulator.replies import CmeRefusal, CmsRefusal, Reply
from hardware.emulator.state import Profile, Settings, SimState
from hardware.emulator.store import MessageStore

CME_SIM_NOT_INSERTED, CMS_SIM_NOT_INSERTED = 10, 310
CMS_NO_NETWORK_SERVICE = 331


@dataclass
class Context:
    profile: Profile
    sim: SimState
    store: MessageStore
    network: Network
    faults: Faults = field(default_factory=Faults)
    settings: Settings = field(default_factory=Settings)
    smsc: str = ""
    urc: Callable[[str], None] = lambda line: None  # queue an unsolicited line

    def __post_init__(self) -> None:
        self.smsc = self.smsc or self.profile.smsc

    def reset(self) -> None:
        """ATZ / AT&F: the volatile settings go back to power-on values."""
        self.settings = Settings()

    @property
    def sim_present(self) -> bool:
        return self.faults.now.sim != "absent"

    @property
    def registration(self) -> int:
        """The +CREG <stat>: a missing or locked SIM cannot attach to any network."""
        return self.registration_under(self.faults.now)

    def registration_under(self, faults: FaultState) -> int:
        if faults.sim == "absent" or not self.sim.unlocked:
            return 0
        return faults.registration

    @property
    def registered(self) -> bool:
        return self.registration in (1, 5)

    def require_sim(self) -> None:
        """For 27.007 commands: +CME ERROR 10 (no SIM), 11 (PIN) or 12 (PUK)."""
        if not self.sim_present:
            raise CmeRefusal(CME_SIM_NOT_INSERTED)
        if not self.sim.unlocked:
            raise CmeRefusal(11 if self.sim.status == "SIM PIN" else 12)

    def require_sim_sms(self) -> None:
        """For 27.005 commands the same refusal comes as +CMS ERROR 310, 311 or 316."""
        if not self.sim_present:
            raise CmsRefusal(CMS_SIM_NOT_INSERTED)
        if not self.sim.unlocked:
            raise CmsRefusal(311 if self.sim.status == "SIM PIN" else 316)

    def require_network(self) -> None:
        """AT+CMGS with no registration: the modem knows at once there is nobody to ask."""
        if not self.registered:
            raise CmsRefusal(CMS_NO_NETWORK_SERVICE)


Handler = Callable[[Context, Command], Reply]
