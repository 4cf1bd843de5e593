from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from gateway.outbox.queue import Claimed
from gateway.subscribers.gate import SendGate, in_quiet
from gateway.subscribers.service import Subscribers

A = "+447700900111"
# 23:30 in London in winter (GMT), and 12:00
NIGHT = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
def gate(engine: Engine) -> tuple[SendGate, int]:
    subs = Subscribers(engine)
    made = subs.add_list("Docking farms", "DOCKING")
    subs.join(A, "DOCKING")
    subs.set_quiet(A, 22, 7)
    return SendGate(subs, "Europe/London"), made.id


def msg(list_id: int, priority: int, kind: str = "broadcast") -> Claimed:
    return Claimed(1, A, "alert", priority, 1, kind, list_id)


@pytest.mark.parametrize(
    ("hour", "start", "end", "quiet"),
    [
        (23, 22, 7, True),
        (3, 22, 7, True),
        (7, 22, 7, False),
        (12, 22, 7, False),
        (13, 12, 14, True),
        (14, 12, 14, False),
    ],
)
def test_quiet_windows_may_run_past_midnight(hour: int, start: int, end: int, quiet: bool) -> None:
    assert in_quiet(hour, start, end) is quiet


def test_a_normal_broadcast_waits_for_the_end_of_quiet_hours(gate: tuple[SendGate, int]) -> None:
    g, list_id = gate
    verdict = g(msg(list_id, 1), now=NIGHT)
    assert verdict.action == "defer"
    assert verdict.until == datetime(2026, 11, 23, 7, 0)  # 07:00 GMT = 07:00 UTC in November


def test_an_urgent_alert_goes_through_quiet_hours(gate: tuple[SendGate, int]) -> None:
    g, list_id = gate
    assert g(msg(list_id, 0), now=NIGHT).action == "send"


def test_outside_quiet_hours_a_broadcast_goes(gate: tuple[SendGate, int]) -> None:
    g, list_id = gate
    assert g(msg(list_id, 2), now=NOON).action == "send"


def test_a_stop_after_queueing_drops_the_broadcast_even_when_urgent(
    gate: tuple[SendGate, int], engine: Engine
) -> None:
    g, list_id = gate
    Subscribers(engine).set_stopped(A, True)
    verdict = g(msg(list_id, 0), now=NOON)
    assert (verdict.action, verdict.reason) == ("drop", "opted out before sending")


def test_direct_messages_are_not_gated(gate: tuple[SendGate, int], engine: Engine) -> None:
    g, list_id = gate
    Subscribers(engine).set_stopped(A, True)  # the STOP confirmation itself must still go
    assert g(msg(list_id, 1, kind="direct"), now=NIGHT).action == "send"
