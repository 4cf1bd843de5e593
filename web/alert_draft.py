"""An alert being composed in the console: what the form holds, the text it makes, when
it is to go, and its preview as the page and compose.js show it.

The text and the time are made by `gateway.alerts.compose`, as for the CLI's `smsgw alert`
and the API (a template rendered with its fields, or the free text), and previewed by
`gateway.alerts.preview.preview_alert`, the CLI's --preview, so the console shows the
numbers the daemon will spend. A place and a radius narrow it to the members that close
(`gateway.alerts.near`, as `smsgw alert --near`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.datastructures import MultiDict

from gateway.alerts.compose import Composed, compose_alert, find_template
from gateway.alerts.near import BadPlace, Near, NoPlace, NoRadius, near_alert
from gateway.alerts.preview import AlertPreview, near_summary
from gateway.alerts.service import AlertError
from gateway.alerts.templates import Template, Templates
from gateway.core import clock
from gateway.core.geo import Point
from web.channel_view import beyond_sims, share_rows

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
    near: str = ""  # a place, grid reference or lat,lon as typed: only the members near it
    radius_km: str = ""  # as typed
    include_unplaced: bool = False

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
            near=form.get("near", "").strip(),
            radius_km=form.get("radius_km", "").strip(),
            include_unplaced="include_unplaced" in form,
        )

    def chosen(self, templates: Templates) -> Template | None:
        return find_template(templates, self.template) if self.template else None

    def compose(self, templates: Templates, timezone: str, *, when: bool = True) -> Composed:
        """The shared compose step (the template filled in, or the text as typed; the time
        to send as naive UTC), with the form's words for a time it cannot use. Without
        `when`, the time is left out (a preview does not need it)."""
        try:
            return compose_alert(
                templates,
                text=self.text,
                template=self.template or None,
                fields=self.fields,
                footer=self.footer,
                send_at=self.send_at if when else "",
                zone=timezone,
            )
        except clock.BadTime:
            raise AlertError("give the time to send as a date and a time") from None

    def where(self, places: Mapping[str, Point]) -> Near | None:
        """The shared place step, with the form's words for what it cannot use."""
        try:
            return near_alert(self.near, self.radius_km, self.include_unplaced, places)
        except NoRadius:
            raise AlertError(
                "give a radius in km for the place, or leave the place empty"
            ) from None
        except NoPlace:
            raise AlertError("give a place (a grid reference, lat,lon or a village)") from None
        except BadPlace as exc:
            raise AlertError(f"Near: {exc}") from None

    def hidden(self) -> list[tuple[str, str]]:
        """The draft as hidden inputs, to carry it through the confirmation page."""
        pairs = [("lists", name) for name in self.lists]
        pairs += [("template", self.template), ("text", self.text), ("footer", self.footer)]
        pairs += [(FIELD + k, v) for k, v in self.fields.items()]
        pairs += [("send_at", self.send_at)] + ([("smart", "on")] if self.smart else [])
        pairs += [("near", self.near), ("radius_km", self.radius_km)]
        return pairs + ([("include_unplaced", "on")] if self.include_unplaced else [])


def finish(shown: AlertPreview, zone: clock.Zone, now: datetime | None = None) -> str:
    """How long the messages take at the modems' rates, and the wall-clock time they end."""
    e, reach = shown.estimate, shown.preview.recipients
    if reach == 0:
        return "nobody to send to"
    if e.seconds is None:
        return "no modem can send now: the messages wait until one can"
    end = clock.to_local(now or datetime.now(UTC), zone) + timedelta(seconds=e.seconds)
    took = "under a minute" if e.seconds < 60 else f"about {round(e.seconds / 60)} min"
    return f"{took}, done by {end:%H:%M} at {e.per_minute:.0f} a minute"


def preview_data(shown: AlertPreview, zone: clock.Zone) -> dict[str, Any]:
    """The preview as the page shows it, and as /alerts/preview answers compose.js; with
    `channels`, each channel's share, and `split` when more than the SIMs take a share."""
    p, e = shown.preview, shown.estimate
    return {
        "channels": share_rows(shown.channels, zone),
        "split": beyond_sims([c.channel for c in shown.channels if c.recipients]),
        "text": p.text,
        "encoding": ENCODINGS.get(p.encoding, p.encoding),
        "characters": p.characters,
        "parts": p.parts,
        "recipients": p.recipients,
        "total_parts": p.total_parts,
        "near": near_summary(shown),
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
