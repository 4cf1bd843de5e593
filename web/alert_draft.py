"""An alert being composed in the console: what the form holds, the text it makes, when
it is to go, and its preview as the page and compose.js show it.

The text is made as the CLI's `smsgw alert` makes it (a template rendered with its fields,
or the free text) and previewed by `gateway.alerts.preview.preview_alert`, the CLI's
--preview, so the console shows the numbers the daemon will spend.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from werkzeug.datastructures import MultiDict

from gateway.alerts.preview import AlertPreview
from gateway.alerts.service import MAX_TEXT, AlertError
from gateway.alerts.templates import Template, Templates
from gateway.cli.alerting import parse_when
from gateway.core.db import utcnow

FIELD = "field_"  # form inputs for a template's fields are named field_<name>
ENCODINGS = {"gsm7": "GSM-7", "ucs2": "UCS-2"}


@dataclass(frozen=True)
class Draft:
    lists: tuple[str, ...] = ()  # keywords, in the order ticked
    template: str = ""
    fields: dict[str, str] = field(default_factory=dict)
    text: str = ""
    footer: str = ""
    smart: bool = True
    send_at: str = ""  # as <input type="datetime-local"> sent it: the gateway's wall clock

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> Draft:
        """The draft a submitted form holds. An unticked checkbox sends nothing, so a
        posted form without `smart` means smart text is off."""
        return cls(
            lists=tuple(dict.fromkeys(x for x in form.getlist("lists") if x)),
            template=form.get("template", "").strip(),
            fields={k[len(FIELD) :]: v for k, v in form.items() if k.startswith(FIELD)},
            text=form.get("text", ""),
            footer=form.get("footer", ""),
            smart="smart" in form,
            send_at=form.get("send_at", "").strip(),
        )

    def chosen(self, templates: Templates) -> Template | None:
        if not self.template:
            return None
        found = templates.get(self.template)
        if found is None:
            raise AlertError(f"no template {self.template!r}")
        return found

    def body(self, templates: Templates) -> str:
        """The text before smart text and footer: the template filled in, or as typed."""
        chosen = self.chosen(templates)
        text = templates.render(chosen, self.fields) if chosen else self.text
        if len(text) + len(self.footer) > MAX_TEXT:  # checked again by Alerts.create
            raise AlertError(f"an alert is at most {MAX_TEXT} characters")
        return text

    def when(self, timezone: str) -> datetime | None:
        """Naive UTC, read as the CLI reads --at; None to send now."""
        if not self.send_at:
            return None
        try:
            moment = parse_when(self.send_at, timezone)
        except AlertError:
            raise AlertError("give the time to send as a date and a time") from None
        if moment <= utcnow():
            raise AlertError("the time to send has passed: choose a later one or send now")
        return moment

    def hidden(self) -> list[tuple[str, str]]:
        """The draft as hidden inputs, to carry it through the confirmation page."""
        pairs = [("lists", name) for name in self.lists]
        pairs += [("template", self.template), ("text", self.text), ("footer", self.footer)]
        pairs += [(FIELD + k, v) for k, v in self.fields.items()]
        pairs += [("send_at", self.send_at)] + ([("smart", "on")] if self.smart else [])
        return pairs


def finish(shown: AlertPreview, zone: ZoneInfo, now: datetime | None = None) -> str:
    """How long the messages take at the modems' rates, and the wall-clock time they end."""
    e, reach = shown.estimate, shown.preview.recipients
    if reach == 0:
        return "nobody to send to"
    if e.seconds is None:
        return "no modem can send now: the messages wait until one can"
    end = (now or datetime.now(UTC)).astimezone(zone) + timedelta(seconds=e.seconds)
    took = "under a minute" if e.seconds < 60 else f"about {round(e.seconds / 60)} min"
    return f"{took}, done by {end:%H:%M} at {e.per_minute:.0f} a minute"


def preview_data(shown: AlertPreview, zone: ZoneInfo) -> dict[str, Any]:
    """The preview as the page shows it, and as /alerts/preview answers compose.js."""
    p, e = shown.preview, shown.estimate
    return {
        "text": p.text,
        "encoding": ENCODINGS.get(p.encoding, p.encoding),
        "characters": p.characters,
        "parts": p.parts,
        "recipients": p.recipients,
        "total_parts": p.total_parts,
        "finish": finish(shown, zone),
        "warning": ""
        if e.covered
        else f"The modems' budgets for today cover {e.sendable_today:,}; "
        f"{e.shortfall:,} would wait until tomorrow.",
        "notes": [
            f"{r.original!r} became {r.replacement!r}"
            + (f" ({r.count} times)" if r.count > 1 else "")
            for r in p.replaced
        ]
        + ([f"Sent as UCS-2 because of: {' '.join(p.unencodable)}"] if p.unencodable else []),
    }
