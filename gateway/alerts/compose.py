"""One compose step for an alert, whoever asks for it: `smsgw alert`, the console's form
and POST /api/v1/alerts each hand over what they were given (a template and its fields,
or a text; a footer; a local time to send at) and get back the same text and time, or
the same errors.

Each caller names its inputs its own way (`--at`, the form's "time to send", the JSON
`send_at`), so the errors a caller may want to word for its people are classes of their
own: `NoText`, `clock.BadTime` and `TimePassed`. Every error is a `GatewayError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from gateway.alerts.service import MAX_TEXT, AlertError
from gateway.alerts.templates import Template, Templates
from gateway.core import clock
from gateway.core.db import utcnow


class NoText(AlertError):
    """Neither a text nor a template was given."""


class TimePassed(AlertError):
    """The time to send is not in the future."""


@dataclass(frozen=True)
class Composed:
    text: str  # the template filled in, or the text as given: before smart text and footer
    footer: str
    send_at: datetime | None  # naive UTC; None: send now
    template: Template | None = None


def find_template(templates: Templates, name: str) -> Template:
    """The stored template called `name` (any case), or an AlertError naming it."""
    found = templates.get(name)
    if found is None:
        raise AlertError(f"no template {name!r}")
    return found


def compose_alert(
    templates: Templates,
    *,
    text: str | None = None,
    template: str | None = None,
    fields: Mapping[str, str] | None = None,
    footer: str = "",
    send_at: str = "",
    zone: clock.Zone,
    now: datetime | None = None,
) -> Composed:
    """The alert as it will be created: a `template` (when not None) rendered with its
    `fields`, else `text` (None: not given, NoText; "" is given, and refused later as
    "an alert needs a text", so a form can be previewed while it is still empty).
    `send_at` is an ISO time read on `zone`'s wall clock ("" to send now) and must be
    after `now`. The length limit is checked here so a preview says it too."""
    chosen = None
    if template is not None:
        chosen = find_template(templates, template)
        body = templates.render(chosen, fields or {})
    elif text is None:
        raise NoText("give text, or template with fields")
    else:
        body = text
    if len(body) + len(footer) > MAX_TEXT:  # checked again by Alerts.create
        raise AlertError(f"an alert is at most {MAX_TEXT} characters")
    when = None
    if send_at:
        when = clock.parse_local(send_at, zone)
        if when <= (now or utcnow()):
            raise TimePassed("the time to send has passed: choose a later one or send now")
    return Composed(body, footer, when, chosen)
