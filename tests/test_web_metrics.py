"""/metrics over a real HTTP server and a real database: what a Prometheus scrape reads,
and who may read it (loopback without a token; anyone else, a proxied request included,
only with one)."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from drama import mobile
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from sqlalchemy import Engine, insert

from gateway.core import users
from gateway.core.db import utcnow
from gateway.core.hook_models import WebhookEvent
from gateway.core.models import InboundMessage, Message, Sighting
from gateway.modems import status as modem_status


def scrape(base: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    req = urllib.request.Request(base + "/metrics", headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode(), resp.headers["Content-Type"]
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), err.headers["Content-Type"]


def samples(body: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    found: dict[tuple[str, frozenset[tuple[str, str]]], float] = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            assert isinstance(s, Sample)
            found[(s.name, frozenset(s.labels.items()))] = s.value
    return found


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


def seed(engine: Engine) -> None:
    now = utcnow()
    rows = []
    # Sent in the last hour after 0.5 s, 3 s and 100 s; one sent two hours ago (out of the
    # window); two queued, one failed on the hosted service.
    for i, (status, channel, wait, age) in enumerate(
        [
            ("sent", "sim", 0.5, 10),
            ("delivered", "sim", 3.0, 20),
            ("sent", "fastsms", 100.0, 30),
            ("delivered", "sim", 1.0, 7200),
            ("queued", "sim", None, 0),
            ("queued", "sim", None, 0),
            ("failed", "fastsms", None, 0),
        ]
    ):
        sent = now - timedelta(seconds=age) if wait is not None else None
        created = (sent or now) - timedelta(seconds=wait or 0)
        rows.append(
            {
                "to": mobile(i),
                "text": "x",
                "status": status,
                "channel": channel,
                "created_at": created,
                "next_attempt_at": created,
                "sent_at": sent,
            }
        )
    inbound = [
        {"sender": mobile(50 + i), "text": "t", "sc_timestamp": when, "received_at": when}
        for i, when in enumerate([now - timedelta(hours=3), now - timedelta(minutes=5)] * 2)
    ]
    sightings = [
        {
            "ref": f"S{i}",
            "sender": mobile(60),
            "text": "t",
            "created_at": now,
            "escalation": 0,
            **extra,
        }
        for i, extra in enumerate(
            [
                {"status": "open"},
                {"status": "open", "escalation": 1},
                {"status": "open", "escalation": 2},
                {"status": "acknowledged", "escalation": 1},
                {"status": "closed"},
            ]
        )
    ]
    with engine.begin() as conn:
        conn.execute(insert(Message), rows)
        conn.execute(insert(InboundMessage), inbound)
        conn.execute(insert(Sighting), sightings)
        conn.execute(
            insert(WebhookEvent),
            [
                {
                    "id": f"e{i}",
                    "url": "http://127.0.0.1:9/h",
                    "type": "sighting.filed",
                    "at": now,
                    "data": "{}",
                    "delivered_at": done,
                }
                for i, done in enumerate([None, None, now])
            ],
        )
    modem_status.record(engine, "dongle1", "node1", state="ready", rssi=20)  # -73 dBm
    modem_status.record(engine, "dongle2", "node1", state="no-signal", rssi=None)


def test_a_scrape_from_loopback_reads_the_database(console: str, engine: Engine) -> None:
    seed(engine)
    status, body, content_type = scrape(console)
    assert status == 200 and content_type.startswith("text/plain; version=0.0.4")
    got = samples(body)
    assert got[key("smsgw_messages", state="queued", channel="sim")] == 2
    assert got[key("smsgw_messages", state="delivered", channel="sim")] == 2
    assert got[key("smsgw_messages", state="failed", channel="fastsms")] == 1
    assert got[key("smsgw_messages", state="sending", channel="sim")] == 0  # zero, not absent
    # The three sent in the last hour: 0.5 s, 3 s, 100 s; the one two hours ago is out.
    assert got[key("smsgw_send_latency_seconds_bucket", le="1.0")] == 1
    assert got[key("smsgw_send_latency_seconds_bucket", le="5.0")] == 2
    assert got[key("smsgw_send_latency_seconds_bucket", le="60.0")] == 2
    assert got[key("smsgw_send_latency_seconds_bucket", le="120.0")] == 3
    assert got[key("smsgw_send_latency_seconds_bucket", le="+Inf")] == 3
    assert got[key("smsgw_send_latency_seconds_gcount")] == 3
    assert got[key("smsgw_send_latency_seconds_gsum")] == pytest.approx(103.5, abs=0.01)
    assert got[key("smsgw_inbound_messages_total")] == 4
    assert got[key("smsgw_inbound_messages_last_hour")] == 2
    assert got[key("smsgw_sightings_open")] == 3
    assert got[key("smsgw_sightings_escalated")] == 2
    assert got[key("smsgw_modem_state", modem="dongle1", channel="sim", state="ready")] == 1
    assert got[key("smsgw_modem_state", modem="dongle1", channel="sim", state="no-signal")] == 0
    assert got[key("smsgw_modem_state", modem="dongle2", channel="sim", state="no-signal")] == 1
    assert got[key("smsgw_modem_signal_dbm", modem="dongle1")] == -73
    assert key("smsgw_modem_signal_dbm", modem="dongle2") not in got  # unknown, not 0
    assert got[key("smsgw_webhook_backlog")] == 2


def test_an_empty_database_scrapes_cleanly(console: str) -> None:
    status, body, _ = scrape(console)
    got = samples(body)
    assert status == 200
    assert got[key("smsgw_send_latency_seconds_bucket", le="+Inf")] == 0
    assert got[key("smsgw_inbound_messages_total")] == 0
    assert got[key("smsgw_messages", state="queued", channel="sim")] == 0
    assert got[key("smsgw_webhook_backlog")] == 0


def test_a_proxied_request_needs_a_token(console: str, engine: Engine) -> None:
    proxied = {"X-Forwarded-For": "203.0.113.9"}
    status, body, _ = scrape(console, proxied)
    assert status == 401 and "Bearer" in body
    # Even a proxy saying its client was local: the proxy is the one on loopback.
    status, _, _ = scrape(console, {"X-Forwarded-For": "127.0.0.1"})
    assert status == 401
    status, body, _ = scrape(console, {**proxied, "Authorization": "Bearer not-a-token"})
    assert status == 401 and "not valid" in body
    viewer = next(a for a in users.all_users(engine) if a.role == "viewer")
    token = users.new_api_token(engine, viewer.id)
    status, body, _ = scrape(console, {**proxied, "Authorization": f"Bearer {token}"})
    assert status == 200 and "smsgw_sightings_open" in body
