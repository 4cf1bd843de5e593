"""`[[webhook]]` tables: where the gateway tells the force's own systems what happened.

Kept out of config.py (which builds the rest) so the event names and their checks live
in one place; config.py calls `webhooks_from` with the raw TOML array.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EVENTS = (
    "sighting.filed",
    "sighting.escalated",
    "sighting.acknowledged",
    "alert.finished",
    "message.failed",
    "modem.down",
    "inbound.received",
)
_KEYS = {"url": str, "secret_file": str, "events": list, "timeout": float, "retry_base": float}


class WebhookConfigError(ValueError):
    """A `[[webhook]]` table is wrong; config.py turns it into a ConfigError."""


@dataclass(frozen=True)
class WebhookConfig:
    url: str
    secret_file: str  # one line: the HMAC-SHA256 key that signs each POST
    events: tuple[str, ...] = EVENTS  # omitted: every event
    timeout: float = 5.0  # seconds for one POST: a dead receiver must not hold the backlog
    retry_base: float = 5.0  # seconds before the first retry; doubles up to an hour


def webhooks_from(raw: Any) -> tuple[WebhookConfig, ...]:
    """Each table checked: unknown keys and unknown event names are errors, and two
    tables may not name one URL (its rows are keyed by event and URL)."""
    if not isinstance(raw, list):
        raise WebhookConfigError("'webhook' must be an array of tables ([[webhook]])")
    built: list[WebhookConfig] = []
    for i, table in enumerate(raw):
        key = f"webhook[{i}]"
        if not isinstance(table, dict):
            raise WebhookConfigError(f"[{key}] must be a table")
        checked: dict[str, Any] = {}
        for name, value in table.items():
            want = _KEYS.get(name)
            if want is None:
                raise WebhookConfigError(f"unknown key {key}.{name}")
            if want is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, want) or isinstance(value, bool):
                raise WebhookConfigError(f"{key}.{name} has the wrong type ({value!r})")
            if isinstance(value, float) and value <= 0:
                raise WebhookConfigError(f"{key}.{name} must be more than 0")
            checked[name] = value
        table = checked
        url = table.get("url", "")
        if not url.startswith(("https://", "http://")):
            raise WebhookConfigError(f"{key}.url must start with https:// (or http://)")
        if url in {w.url for w in built}:
            raise WebhookConfigError(f"{key}.url {url!r} is used twice")
        if not table.get("secret_file"):
            raise WebhookConfigError(f"{key}.secret_file is required (the signing key)")
        events = table.get("events", list(EVENTS))
        if not events or not all(isinstance(e, str) for e in events):
            raise WebhookConfigError(f"{key}.events must be a list of event names")
        for name in events:
            if name not in EVENTS:
                raise WebhookConfigError(
                    f"{key}.events: unknown event {name!r} (one of {', '.join(EVENTS)})"
                )
        built.append(
            WebhookConfig(
                url=url,
                secret_file=table["secret_file"],
                events=tuple(dict.fromkeys(events)),
                timeout=table.get("timeout", 5.0),
                retry_base=table.get("retry_base", 5.0),
            )
        )
    return tuple(built)
