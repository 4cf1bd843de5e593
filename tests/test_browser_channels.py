"""An alert that went by a SIM, a hosted SMS service and email, in a real browser:
Debian's Chromium shows the progress per channel, and alert-progress.js keeps it live.
A screenshot is left in /tmp/shots/channels_alert.png for a person to look at."""

from __future__ import annotations

from pathlib import Path

from browser import TIMEOUT_MS, login
from channel_alert import mixed_alert, outbox_of
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.outbox import states

SHOT = Path("/tmp/shots/channels_alert.png")


def test_the_alert_page_shows_each_channel_and_keeps_it_live(
    chromium: Browser, console: str, engine: Engine
) -> None:
    made = mixed_alert(engine)
    context = chromium.new_context(base_url=console, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    try:
        page = context.new_page()
        login(page, "operator1")
        page.goto(f"/alerts/{made.ref}")
        section = page.get_by_role("region", name="By channel")
        expect(section).to_be_visible()
        items = section.get_by_role("listitem")
        expect(items).to_have_text(
            [
                "by SIM: queued 2, sent 1",
                "by fastsms: queued 1, sent 2, delivered 1",
                "by email: queued 1",
            ]
        )
        # The service reports another delivery: the page shows it without a reload.
        outbox = outbox_of(engine)
        with engine.connect() as conn:
            sent = conn.scalars(
                select(Message.id).where(Message.channel == "fastsms", Message.status == "sent")
            ).first()
        with engine.begin() as conn:
            assert sent is not None and states.delivered_in(conn, sent, utcnow())
        assert outbox.counts()["queued"] == 4  # still going out: the page polls
        expect(items.nth(1)).to_have_text("by fastsms: queued 1, sent 1, delivered 2")
        expect(page.locator("#alert-status")).to_have_text("sending")
        expect(page.locator("#progress-done")).to_have_text("4")
        expect(page.locator("#progress-recipients")).to_have_text("8")
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOT), full_page=True)
    finally:
        context.close()
