"""The gateway's state in one JSON-ready object, so `smsgw status --json` and the API's
/status cannot drift apart."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from gateway.alerts.service import phase
from gateway.app.services import Services
from gateway.core import events
from gateway.core.privacy import mask
from gateway.modems import status as modem_status
from gateway.rota.service import OperatorInfo

RECENT_ALERTS = 5  # alerts whose progress the status shows


def status_report(services: Services, *, whole_numbers: bool = True) -> dict[str, Any]:
    """Messages by state, each modem's last known health, who is on duty, the latest
    alerts' progress. Numbers are masked unless `whole_numbers` (viewers get a mask)."""
    alerts = services.alerts
    recent = [(a, alerts.progress(a.ref)) for a in alerts.recent(RECENT_ALERTS)]
    channels = alerts.by_channel([a.id for a, _ in recent])
    return {
        "messages": services.outbox.counts(),
        "modems": [m.as_dict() for m in modem_status.all_modems(services.engine)],
        "on_duty": on_duty(services, whole_numbers=whole_numbers),
        "webhooks": _hooks(events.backlog(services.engine), whole=whole_numbers),
        "alerts": [
            {
                "ref": a.ref,
                "status": phase(a, progress),
                "recipients": a.recipients,
                "created_by": a.created_by,
                "created_at": a.created_at.isoformat() + "Z",
                "send_at": a.send_at.isoformat() + "Z" if a.send_at else None,
                "progress": progress,
                "by_channel": channels[a.id],
            }
            for a, progress in recent
        ],
    }


def _hooks(backlog: dict[str, Any], *, whole: bool) -> dict[str, Any]:
    """A viewer sees where a failing webhook goes, never its path or query (a receiver's
    URL may carry its own token)."""
    failed = backlog["oldest_failure"]
    if not whole and failed:
        parts = urlsplit(failed["url"])
        backlog = {
            **backlog,
            "oldest_failure": {**failed, "url": f"{parts.scheme}://{parts.netloc}/..."},
        }
    return backlog


def webhook_line(backlog: dict[str, Any]) -> str:
    """`smsgw status`'s line on the webhook outbox."""
    line = f"webhooks: {backlog['waiting']} event(s) waiting"
    if backlog["since"]:
        line += f" since {backlog['since']}"
    failed = backlog["oldest_failure"]
    if failed:
        line += (
            f"; oldest failure: {failed['type']} {failed['id']} to {failed['url']}, "
            f"{failed['attempts']} tries, last: {failed['error']}"
        )
    return line


def on_duty(services: Services, *, whole_numbers: bool = True) -> dict[str, Any]:
    """Who gets a sighting forwarded now; during a gap, the desk's number does."""
    primary, backup = services.rota.on_duty()

    def shown(phone: str) -> str:
        return phone if whole_numbers else mask(phone)

    def person(op: OperatorInfo | None) -> dict[str, str] | None:
        return {"name": op.name, "phone": shown(op.phone)} if op else None

    fallback = services.config.rota.fallback_number
    return {
        "primary": person(primary),
        "backup": person(backup),
        "fallback": shown(fallback) if fallback else None,
    }
