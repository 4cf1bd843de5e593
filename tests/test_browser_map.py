"""The map in a real browser (Debian's Chromium): a night's reports around Docking, a hot
vehicle's track, subscribers' squares for an operator, and not one request leaving the
console. The screenshot goes to /tmp/shots/map.png; with SMSGW_DOCS_SHOTS=1 also to
docs/map.png, the README's picture."""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from browser import TIMEOUT_MS, login
from drama import mobile
from playwright.sync_api import Browser, Dialog, expect
from sighting_filing import file, make_desk
from sqlalchemy import Engine, update

from gateway.core.db import utcnow
from gateway.core.models import Sighting, SightingVehicle
from gateway.sightings.info import SightingInfo
from gateway.subscribers.service import Subscribers

SHOT = Path("/tmp/shots/map.png")
DOCS = Path(__file__).resolve().parents[1] / "docs" / "map.png"
# Where farms on the list live: a few kilometres round Docking, Fring and Stanhoe.
FARMS = [
    *["TF 762 372", "TF 770 366", "TF 758 361", "TF 775 379", "TF 766 352", "TF 748 371"],
    *["TF 736 349", "TF 731 342", "TF 742 356", "TF 722 338"],
    *["TF 803 368", "TF 809 375", "TF 795 361", "TF 812 352"],
    *["TF 707 366", "TF 712 372", "TF 700 359"],
    *["TF 832 421", "TF 826 415", "TF 845 409"],
    *["TF 769 322", "TF 776 330", "TF 760 315"],
]
NIGHT = [  # (reporter, text): in the order texted
    (1, "Silver Subaru Forester KX19 ABC at TF 712 388 heading east, 3 men with lurchers"),
    (2, "KX19 ABC again, now at TF 758 371 by Docking, going towards Stanhoe"),
    (3, "Subaru KX19 ABC at TF 801 379 east on the B1155"),
    (4, "white pickup lamping at Sedgeford, no plate seen"),
    (5, "quad bike with a lamp at TF 840 310"),
    (6, "<script>alert(1)</script> dogs out at Great Massingham"),
]


def spread_over_the_night(engine: Engine, filed: list[SightingInfo]) -> None:
    """Texts filed seconds apart, as if they had come in over the last two hours (the
    order kept): the track's times in the picture then say something."""
    now = utcnow()
    with engine.begin() as conn:
        for n, s in enumerate(filed):
            at = now - timedelta(minutes=20 * (len(filed) - n))
            conn.execute(update(Sighting).where(Sighting.id == s.id).values(created_at=at))
            conn.execute(
                update(SightingVehicle)
                .where(SightingVehicle.sighting_id == s.id)
                .values(seen_at=at)
            )


def record(dialogs: list[str], dialog: Dialog) -> None:
    dialogs.append(dialog.message)
    dialog.dismiss()


def test_the_map_draws_the_night_and_loads_nothing_from_outside(
    chromium: Browser, console: str, engine: Engine, db_url: str
) -> None:
    people = Subscribers(engine)
    people.add_list("Docking farms", "DOCKING")
    for n, where in enumerate(FARMS):
        people.join(mobile(100 + n), "DOCKING", name=f"Farm {n}", method="officer", by="pc")
        people.set_location(mobile(100 + n), where)
    desk = make_desk(engine, db_url)
    filed = [file(desk, mobile(500 + who), text) for who, text in NIGHT]
    desk.close(filed[4].ref, by="operator1")
    spread_over_the_night(engine, filed)
    context = chromium.new_context(base_url=console, viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    requested: list[str] = []
    dialogs: list[str] = []
    context.on("request", lambda request: requested.append(request.url))
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: record(dialogs, dialog))
        login(page, "operator1")
        page.get_by_role("link", name="Map").click()
        expect(page.locator("#map a.sighting")).to_have_count(len(NIGHT))
        expect(page.locator("#map a.sighting.hot")).to_have_count(3)
        expect(page.locator("#map a.sighting.closed")).to_have_count(1)
        track = page.locator("#map g.track")
        expect(track).to_have_attribute("data-refs", " ".join(s.ref for s in filed[:3]))
        assert page.locator("#density rect").count() >= 5
        assert page.locator("#map a.sighting text").all_text_contents() == [s.ref for s in filed]
        assert dialogs == []  # the reporter's script stayed text
        # The first report's link goes to its page.
        page.locator(f"#marker-{filed[0].ref}").click()
        expect(page.locator("#sighting-ref")).to_have_text(filed[0].ref)
        page.go_back()
        SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.locator("main").screenshot(path=str(SHOT))
        assert SHOT.stat().st_size > 20_000  # a drawn map, not a blank box
        if os.environ.get("SMSGW_DOCS_SHOTS") == "1":
            shutil.copyfile(SHOT, DOCS)
    finally:
        context.close()
    outside = [u for u in requested if not u.startswith(console)]
    assert outside == [] and any(u.endswith("/map") for u in requested)
