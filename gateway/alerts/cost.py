"""What an alert will cost before it is sent, and how long it will take to go out.

Pure functions, so the daemon, the CLI and the console show the same numbers: the
encoding and parts come from `hardware.pdu.segments`, the one place that splits texts.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from gateway.alerts.smart_text import Replacement, smarten, unencodable
from gateway.core.errors import GatewayError
from hardware.pdu import Encoding, PduError, segments


class PreviewError(GatewayError, ValueError):
    """A text that cannot be sent at all (more than 255 parts), or a bad count."""


@dataclass(frozen=True)
class Preview:
    text: str  # exactly what will be sent: smartened, footer included
    encoding: Encoding
    characters: int  # Unicode code points ("é" is 1; an emoji with a joiner is several)
    units: int  # GSM septets (extension characters such as "€" count 2) or UTF-16 units
    parts: int  # SMS parts per recipient
    recipients: int
    total_parts: int  # parts * recipients: what the networks will count
    replaced: tuple[Replacement, ...]
    unencodable: tuple[str, ...]  # code points that force UCS-2, for the console to flag


@dataclass(frozen=True)
class ModemRate:
    name: str
    per_minute: float  # measured; 0 when the modem is not sending (down or resting)
    left_today: int | None  # messages left in its daily budget; None = no limit


@dataclass(frozen=True)
class Estimate:
    seconds: float | None  # until the last message that can go today has gone; None: none can
    covered: bool  # the sending modems' budgets left can take every message today
    shortfall: int  # messages they cannot send today
    sendable_today: int
    per_minute: float  # all sending modems together


def compose(text: str, footer: str = "") -> str:
    """The body and the footer on its own line. Line ends become "\\n" (a browser sends
    "\\r\\n", which costs one more character a line) and outer blank space is dropped."""
    body = _lines(text).strip()
    tail = _lines(footer).strip()
    if not tail:
        return body
    return f"{body}\n{tail}" if body else tail


def preview(text: str, *, footer: str = "", recipients: int = 0, smart: bool = True) -> Preview:
    """The text as it will be sent, with its encoding and cost."""
    if not isinstance(text, str) or not isinstance(footer, str):
        raise PreviewError("an alert's text and footer must be text")
    if recipients < 0:
        raise PreviewError(f"recipients cannot be negative ({recipients})")
    composed = compose(text, footer)
    replaced: tuple[Replacement, ...] = ()
    if smart:
        smartened = smarten(composed)
        composed, replaced = smartened.text, smartened.replaced
    try:
        split = segments(composed)
    except PduError as exc:
        raise PreviewError(str(exc)) from None
    return Preview(
        text=composed,
        encoding=split.encoding,
        characters=len(composed),
        units=split.units,
        parts=split.parts,
        recipients=recipients,
        total_parts=split.parts * recipients,
        replaced=replaced,
        unencodable=unencodable(composed),
    )


def estimate_finish(total_messages: int, modems: Sequence[ModemRate]) -> Estimate:
    """How long `total_messages` take at the modems' measured rates, each modem stopping
    when its daily budget runs out and the others carrying on. A modem that is not sending
    (rate 0) adds nothing: its budget cannot be spent today at that rate."""
    if total_messages < 0:
        raise PreviewError(f"a message count cannot be negative ({total_messages})")
    if not all(math.isfinite(m.per_minute) for m in modems):
        raise PreviewError("a modem's rate must be a finite number of messages a minute")
    sending = [
        ModemRate(m.name, m.per_minute, None if m.left_today is None else max(0, m.left_today))
        for m in modems
        if m.per_minute > 0
    ]
    sendable = total_messages if sending else 0
    if sending and all(m.left_today is not None for m in sending):
        sendable = min(total_messages, sum(m.left_today or 0 for m in sending))
    seconds = _seconds_to_send(sendable, sending)
    if sendable == 0 and total_messages > 0:
        seconds = None  # nothing can go today: there is no time at which it is done
    return Estimate(
        seconds=seconds,
        covered=sendable == total_messages,
        shortfall=total_messages - sendable,
        sendable_today=sendable,
        per_minute=sum(m.per_minute for m in sending),
    )


def _seconds_to_send(count: int, modems: Sequence[ModemRate]) -> float | None:
    """The least t with sum(min(rate * t, budget)) >= count. The combined rate drops each
    time a modem spends its last message, so walk those moments in order; until the next
    one, the modems still sending have sent rate * t and the others their whole budget."""
    if count == 0:
        return 0.0
    finished = 0  # messages sent by modems whose budget is spent
    rate = sum(m.per_minute for m in modems) / 60
    for modem in sorted(modems, key=_stop_time):
        if rate <= 0:  # only rounding can leave nothing sending before the count is reached
            return None
        if finished + rate * _stop_time(modem) >= count - 1e-9:
            return (count - finished) / rate
        finished += modem.left_today or 0
        rate -= modem.per_minute / 60
    return None


def _stop_time(modem: ModemRate) -> float:
    """Seconds until the modem has spent its daily budget."""
    if modem.left_today is None:
        return math.inf
    return modem.left_today * 60 / modem.per_minute


def _lines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")
