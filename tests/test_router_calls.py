"""The router called directly on texts stored in a real inbox: no daemon, no modem, no
waiting. What a farmer's text becomes (a keyword obeyed and answered, a report for the
desk, a reply linked to an alert) is checked here; test_inbound_router plays the same
texts through the daemon on the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, select

from gateway.app.services import Services
from gateway.core import config as config_mod
from gateway.core.db import utcnow
from gateway.core.models import Consent, Message
from gateway.inbox.store import IncomingPart, Received
from gateway.routing.router import InboundRouter

FARMER = "+447700900311"
FLOOD_LIMIT = 3


@pytest.fixture
def services(db_url: str, engine: Engine) -> Services:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "inbound": {"flood_limit": FLOOD_LIMIT, "flood_window": 600},
        }
    )
    made = Services(cfg, engine)
    made.subscribers.add_list("Docking farms", "DOCKING")
    made.subscribers.add_list("West Norfolk gamekeepers", "WNKEEPERS")
    return made


@pytest.fixture
def reports() -> list[Received]:
    return []


@pytest.fixture
def router(services: Services, reports: list[Received]) -> InboundRouter:
    """The router as the services compose it, with the reports collected instead of
    filed as sightings."""
    return InboundRouter(
        services.engine,
        services.config,
        services.outbox,
        services.subscribers,
        alerts=services.alerts,
        desk=services.desk,
        on_report=[reports.append],
    )


def stored(services: Services, text: str, sender: str = FARMER) -> Received:
    """A text as the modem's worker stores it before routing it."""
    [msg] = services.inbox.store("e1", IncomingPart(sender, utcnow(), text))
    return msg


def replies(engine: Engine, to: str = FARMER) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(select(Message.text).where(Message.to == to).order_by(Message.id)))


def docking(services: Services) -> list[str]:
    listed = services.subscribers.require_list("DOCKING")
    return [r.phone for r in services.subscribers.recipients([listed.id])]


def test_a_join_routed_twice_is_obeyed_and_answered_once(
    services: Services, router: InboundRouter, engine: Engine
) -> None:
    """Routing is at least once (the worker routes again what never finished)."""
    msg = stored(services, "join docking Tom Wright")
    router(msg)
    router(msg)
    assert docking(services) == [FARMER]
    assert replies(engine) == [
        "You have joined Docking farms. Reply STOP DOCKING to leave that list, STOP to leave all."
    ]
    with engine.connect() as conn:
        consents = conn.execute(select(Consent.action, Consent.method, Consent.by)).all()
    assert [tuple(c) for c in consents] == [("join", "sms", f"inbound:{msg.id}")]  # once


@pytest.mark.parametrize(
    "text", ["Join us at the farm", "Stop and search needed, white van at Docking"]
)
def test_a_text_that_only_starts_like_a_keyword_is_a_report(
    services: Services, router: InboundRouter, reports: list[Received], engine: Engine, text: str
) -> None:
    services.subscribers.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    msg = stored(services, text)
    router(msg)
    assert reports == [msg]
    assert replies(engine) == []  # the desk thanks a reporter, not the router
    assert docking(services) == [FARMER]


@pytest.mark.parametrize("text", ["JOIN NOWHERE", "stop nowhere", "join dockng Tom Wright"])
def test_a_mistyped_list_gets_one_helpful_reply_and_is_no_report(
    services: Services, router: InboundRouter, reports: list[Received], engine: Engine, text: str
) -> None:
    router(stored(services, text))
    word = text.split()[1].upper()
    assert replies(engine) == [f"There is no list called {word}. Text LISTS to see them."]
    assert reports == []


def test_a_flooding_sender_is_obeyed_but_gets_no_more_replies(
    services: Services, router: InboundRouter, engine: Engine
) -> None:
    services.subscribers.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    for text in ["HELP", "help", "Help!", "HELP."]:  # different texts: each is stored
        router(stored(services, text))
    assert len(replies(engine)) == FLOOD_LIMIT
    router(stored(services, "STOP"))
    assert docking(services) == []  # done, though not answered
    assert len(replies(engine)) == FLOOD_LIMIT


def test_an_incomplete_text_is_never_obeyed_as_a_keyword(
    services: Services, router: InboundRouter, reports: list[Received], engine: Engine
) -> None:
    """Half a long text that happens to read STOP is a report, not an opt-out."""
    services.subscribers.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    services.inbox.store("e1", IncomingPart(FARMER, utcnow(), "STOP", 7, 1, 2))
    overdue = utcnow() + timedelta(seconds=services.config.inbound.partial_timeout + 1)
    [partial] = services.inbox.flush_partials(now=overdue)
    assert not partial.complete
    router(partial)
    assert reports == [partial]
    assert docking(services) == [FARMER]
    assert replies(engine) == []


def test_a_text_from_someone_an_alert_reached_is_linked_to_it_as_a_reply(
    services: Services, router: InboundRouter, reports: list[Received]
) -> None:
    services.subscribers.join(FARMER, "DOCKING", method="officer", by="pc.smith")
    made = services.alerts.create("Silver Subaru KX19 ABC towards Docking", ["DOCKING"], by="op1")
    claimed = services.outbox.claim("e1")
    assert claimed is not None and claimed.to == FARMER
    services.outbox.mark_sent(claimed.id, [1], modem="e1")
    msg = stored(services, "Saw it 5 minutes ago by the church")
    router(msg)
    [(sender, text, _)] = services.alerts.replies(made.ref)
    assert (sender, text) == (FARMER, "Saw it 5 minutes ago by the church")
    assert reports == [msg]  # and the desk still gets it
