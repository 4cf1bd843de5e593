"""The Prometheus families of one /metrics scrape (web/metrics.py), read from one snapshot
of the database. A module of its own so prometheus_client is loaded by the first scrape,
not by every console start."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from prometheus_client.metrics_core import (
    CounterMetricFamily,
    GaugeHistogramMetricFamily,
    GaugeMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from gateway.app.gauges import Snapshot, snapshot
from gateway.modems.status import STATES as MODEM_STATES
from gateway.outbox.states import STATES as MESSAGE_STATES

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


def exposition(engine: Engine) -> bytes:
    """The text a scraper reads, from a collector made for this scrape."""
    return generate_latest(GatewayCollector(engine))


class GatewayCollector(Collector):
    """One scrape's families, from one snapshot of the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        yield from families(snapshot(self.engine))


def families(snap: Snapshot) -> Iterator[Metric]:
    messages = GaugeMetricFamily(
        "smsgw_messages",
        "Messages in the outbox by state and channel.",
        labels=["state", "channel"],
    )
    channels = sorted({"sim", *(channel for _, channel in snap.messages)})
    states = [*MESSAGE_STATES, *sorted({s for s, _ in snap.messages} - set(MESSAGE_STATES))]
    for channel in channels:  # every state, zero too, so a series never vanishes
        for state in states:
            messages.add_metric([state, channel], snap.messages.get((state, channel), 0))
    yield messages

    latency = GaugeHistogramMetricFamily(
        "smsgw_send_latency_seconds",
        "Seconds from queued to sent, for the messages sent in the last hour.",
        buckets=[
            *((_le(b), float(n)) for b, n in snap.latency.buckets),
            ("+Inf", float(snap.latency.count)),
        ],
        gsum_value=snap.latency.total_seconds,
    )
    yield latency

    yield CounterMetricFamily(
        "smsgw_inbound_messages", "Texts received since the database began.", snap.inbound_total
    )
    yield GaugeMetricFamily(
        "smsgw_inbound_messages_last_hour",
        "Texts received in the last hour.",
        snap.inbound_last_hour,
    )
    yield GaugeMetricFamily(
        "smsgw_sightings_open", "Sightings nobody has acknowledged yet.", snap.sightings_open
    )
    yield GaugeMetricFamily(
        "smsgw_sightings_escalated",
        "Open sightings passed on past the primary desk (to the backup or the fallback).",
        snap.sightings_escalated,
    )
    yield from _modems(snap)
    yield GaugeMetricFamily(
        "smsgw_webhook_backlog", "Webhook events not yet delivered.", snap.webhook_backlog
    )


def _modems(snap: Snapshot) -> Iterator[Metric]:
    state = GaugeMetricFamily(
        "smsgw_modem_state",
        "1 for each sender's current state (modems, hosted services, email), 0 for the others.",
        labels=["modem", "channel", "state"],
    )
    signal = GaugeMetricFamily(
        "smsgw_modem_signal_dbm", "Each modem's received signal strength.", labels=["modem"]
    )
    for modem in snap.modems:
        known = MODEM_STATES if modem.state in MODEM_STATES else (*MODEM_STATES, modem.state)
        for name in known:
            state.add_metric([modem.name, modem.channel, name], 1.0 if name == modem.state else 0.0)
        if modem.dbm is not None:
            signal.add_metric([modem.name], float(modem.dbm))
    yield state
    yield signal


def _le(bound: float) -> str:
    """As the client writes bucket bounds ("1.0", "+Inf")."""
    return repr(float(bound))
