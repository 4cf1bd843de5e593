"""What an alert is, as every command, page and API answer shows it: its row as
`AlertInfo`, and the `phase` the control room calls it by."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gateway.alerts.near import Near, near_of_row


@dataclass(frozen=True)
class AlertInfo:
    id: int
    ref: str
    text: str
    list_ids: tuple[int, ...]
    status: str
    created_by: str
    created_at: datetime
    send_at: datetime | None
    recipients: int
    started_at: datetime | None  # set when the fan-out has queued every recipient
    near: Near | None = None  # only the members within a radius of a place


def info_of(row: Any) -> AlertInfo:
    """An `alerts` row as AlertInfo (the reports read rows themselves)."""
    ids = tuple(int(x) for x in row.list_ids.split(",") if x)
    return AlertInfo(
        row.id,
        row.ref,
        row.text,
        ids,
        row.status,
        row.created_by,
        row.created_at,
        row.send_at,
        row.recipients,
        row.started_at,
        near_of_row(row),
    )


def phase(info: AlertInfo, progress: Mapping[str, int]) -> str:
    """What the control room calls the alert now: every command, page and API answer
    shows this, never the row's status. The row stays "sending" for good; the alert is
    finished ("sent") once the fan-out is done and each message is in a final state
    (sent, delivered, failed, cancelled, opted out): none still waits for a modem."""
    waiting = progress.get("queued", 0) + progress.get("sending", 0)
    if info.status == "sending" and info.started_at is not None and not waiting:
        return "sent"
    return info.status
