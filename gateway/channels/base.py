"""What the gateway asks of a hosted SMS service, whoever runs it.

A SIM reaches about 300 new numbers a day; a hosted service (FastSMS, Twilio) reaches the
rest of a large list, at a price per message. Each adapter maps its service's own answers
onto these few types, and every error onto permanent (the message fails: a bad number)
or transient (it waits and goes again: no credit, slow down, maintenance), keeping the
service's own code.

A request whose answer never came may or may not have made a message: the adapter says so
(`ProviderUnsure`), and the worker asks the service (`find`) before it sends again, so a
timeout neither loses nor doubles a message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from gateway.core.errors import GatewayError

# What the outbox makes of a service's status words.
State = Literal["pending", "sent", "delivered", "failed", "unknown"]


class ProviderError(GatewayError):
    """The service refused or could not be reached. `code` is the service's own (FastSMS's
    -401, Twilio's 21211), the SMTP reply, or the HTTP status; `retry_after` is seconds to
    wait. `service` says the fault is the service's (no credit, bad token, maintenance,
    slow down, unreachable): the worker pauses and the message keeps its attempts; without
    it the fault is this message's (a bad number; one number's daily limit)."""

    def __init__(
        self,
        message: str,
        *,
        code: str | int | None = None,
        permanent: bool = False,
        retry_after: float | None = None,
        service: bool = False,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.permanent = permanent
        self.retry_after = retry_after
        self.service = service


class ProviderUnsure(ProviderError):
    """The request went out but no answer came back (a read timeout, a dropped
    connection): the service may have made the message. Never resend on this alone."""


class CannotTell(ProviderError):
    """The service offers no way to look a message up without its id (FastSMS)."""


@dataclass(frozen=True)
class Accepted:
    """The service took the message: its id for it, and the status it gave."""

    ref: str
    state: State = "pending"


@dataclass(frozen=True)
class Status:
    ref: str
    state: State
    detail: str = ""  # the service's own word or error code, for the console


@dataclass(frozen=True)
class Inbound:
    """A text a subscriber sent to the service's number, handed to us by its webhook."""

    sender: str
    text: str
    ref: str  # the service's id: the same text delivered twice is filed once
    received_at: datetime  # naive UTC


class Provider(Protocol):
    name: str

    def send(self, to: str, text: str) -> Accepted:
        """Hand one message over. Raises ProviderError (ProviderUnsure when it cannot tell)."""
        ...

    def status(self, ref: str) -> Status:
        """Where the message with the service's id `ref` has got to."""
        ...

    def find(
        self, to: str, text: str, since: datetime, known: Collection[str] = ()
    ) -> Accepted | None:
        """After ProviderUnsure: the message the service made of that request (the newest
        to `to` saying `text` since `since`, not one of the `known` ids other messages
        have), or None if it made none (then it is safe to send again). Raises CannotTell
        if it cannot say."""
        ...

    def credits(self) -> float | None:
        """What is left on the account, in the service's credits; None if it does not say."""
        ...

    def inbound(self, form: Mapping[str, str]) -> Inbound:
        """A webhook's form, already verified where the service signs it, as a text."""
        ...
