"""Everything a command handler may look at or change, in one place."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from hardware.emulator.network import Network
from hardware.emulator.parser import Command
from hardware.emulator.replies import CmeRefusal, CmsRefusal, Reply
from hardware.emulator.state import Profile, Settings, SimState
from hardware.emulator.store import MessageStore


@dataclass
class Context:
    profile: Profile
    sim: SimState
    store: MessageStore
    network: Network
    settings: Settings = field(default_factory=Settings)
    smsc: str = ""
    urc: Callable[[str], None] = lambda line: None  # queue an unsolicited line

    def __post_init__(self) -> None:
        self.smsc = self.smsc or self.profile.smsc

    def reset(self) -> None:
        """ATZ / AT&F: the volatile settings go back to power-on values."""
        self.settings = Settings()

    @property
    def registered(self) -> bool:
        """Registration follows the SIM: a locked SIM cannot attach to the network."""
        return self.sim.unlocked

    def require_sim(self) -> None:
        """For 27.007 commands: +CME ERROR 11 (PIN) or 12 (PUK) while the SIM is locked."""
        if not self.sim.unlocked:
            raise CmeRefusal(11 if self.sim.status == "SIM PIN" else 12)

    def require_sim_sms(self) -> None:
        """For 27.005 commands the same refusal comes as +CMS ERROR 311 or 316."""
        if not self.sim.unlocked:
            raise CmsRefusal(311 if self.sim.status == "SIM PIN" else 316)


Handler = Callable[[Context, Command], Reply]
