"""The console at 3 a.m. and on a phone, in Chromium against the whole system (`smsgw run`
on the emulator): a texted sighting changes an open page's title and favicon, and an
escalation does again; the sound button works once clicked; the dashboard, the sightings
list and a sighting's page fit 390 px without sideways scrolling; the rota marks now.

SMSGW_SCREENSHOTS=docs saves the phone screenshots the README shows into docs/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from browser import GAMEKEEPER, OFFICER, LiveSystem
from playwright.sync_api import Page, expect
from sighting_filing import make_desk

from gateway.core.db import utcnow

PHONE = {"width": 390, "height": 844}
LONG_WORD = "Bircham" + "x" * 60  # a word no phone is wide enough for
POLL_MS = 300  # watch.js polls every 5 s; a test need not wait that long


def watching(new_page: Callable[..., Page]) -> Page:
    """An operator's dashboard with the watch polling fast, every alarm so far seen."""
    page = new_page("operator1")
    page.context.add_init_script(f"window.smsgwWatchPeriodMs = {POLL_MS};")
    page.goto("/")
    page.wait_for_function("localStorage.getItem('smsgw.watch.seen') !== null")
    if page.locator("#watch-seen").is_visible():  # sightings of earlier tests
        page.click("#watch-seen")
    expect(page).to_have_title("Dashboard · smsgw")
    return page


def test_a_texted_sighting_and_its_escalation_change_the_title_and_the_favicon(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    page = watching(new_page)
    icon = page.locator("link#favicon")
    expect(icon).to_have_attribute("href", re.compile(r"/favicon\.svg$"))
    live_system.inject(GAMEKEEPER, "Grey Hilux KP21 XYZ lamping at Fring")
    ref = live_system.wait_sent(OFFICER, "KP21 XYZ").text.split()[0]
    expect(page).to_have_title("(1) New sighting — smsgw")
    expect(icon).to_have_attribute("href", re.compile(r"/favicon-alert\.svg$"))
    expect(page.locator("#watch-alert")).to_contain_text(f"New sighting {ref}")
    # Another page of the same console knows it is news too, until someone says "Seen".
    page.goto("/rota/")
    expect(page).to_have_title("(1) New sighting — smsgw")
    page.click("#watch-seen")
    expect(page).to_have_title("Rota · smsgw")
    expect(icon).to_have_attribute("href", re.compile(r"/favicon\.svg$"))

    # Nobody acknowledged it: the real desk climbs it (no backup on duty: to the desk).
    desk = make_desk(live_system.engine, live_system.db_url)
    assert f"{ref}:fallback" in desk.escalate_due(utcnow() + timedelta(hours=1))
    expect(page).to_have_title("(1) Sighting escalated — smsgw")
    expect(page.locator("#watch-alert")).to_contain_text(f"{ref} escalated to desk")
    # Reading the sighting is seeing it.
    page.goto(f"/sightings/{ref}")
    expect(page).to_have_title(f"Sighting {ref} · smsgw")
    expect(page.locator("#watch-alert")).to_be_hidden()


def test_sound_plays_for_news_once_the_operator_allowed_it(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    page = watching(new_page)
    button = page.locator("#sound-toggle")
    expect(button).to_have_text("Sound on")
    button.click()  # the click browsers want before a page may make sound
    expect(button).to_have_text("Sound off")
    expect(page.locator("html")).to_have_attribute("data-watch-tones", "1")  # the test tone
    live_system.inject(GAMEKEEPER, "Red Shogun AB12 CDE at Sedgeford")
    live_system.wait_sent(OFFICER, "AB12 CDE")
    expect(page.locator("html")).to_have_attribute("data-watch-tones", "2")
    page.click("#watch-seen")
    page.wait_for_timeout(POLL_MS * 3)  # a few more polls: nothing new, no more tones
    expect(page.locator("html")).to_have_attribute("data-watch-tones", "2")
    button.click()
    expect(button).to_have_text("Sound on")


def no_sideways_scroll(page: Page, path: str) -> None:
    page.goto(path)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{path} is {width} px wide at {PHONE['width']} px"


def test_the_phone_layout_fits_390_px_and_the_dashboard_says_who_has_what(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    live_system.inject(
        GAMEKEEPER, f"Silver Subaru KX19 ABC 3 men 2 lurchers north on the B1153 at {LONG_WORD}"
    )
    ref = live_system.wait_sent(OFFICER, "KX19 ABC").text.split()[0]
    page = new_page("operator1")
    page.set_viewport_size(PHONE)
    for path in ("/", "/sightings/", f"/sightings/{ref}"):
        no_sideways_scroll(page, path)

    page.goto("/")
    card = page.locator(f"#open-sightings tr[data-ref={ref}]")
    expect(card.locator("td.age")).to_have_text(re.compile(r"^(<1|\d+) min$"))
    expect(card.locator("td.owner")).to_have_text("nobody yet")
    expect(card.locator("td.stage")).to_contain_text("primary")
    assert card.bounding_box()["width"] <= PHONE["width"]  # type: ignore[index]
    # The menu folds away and opens on a tap.
    sightings_link = page.locator("header a", has_text="Sightings")
    expect(sightings_link).to_be_hidden()
    page.click("label[for=nav-toggle]")
    expect(sightings_link).to_be_visible()
    no_sideways_scroll(page, "/")

    shots = os.environ.get("SMSGW_SCREENSHOTS")
    if shots:
        page.goto("/")
        page.screenshot(path=str(Path(shots) / "phone-dashboard.png"), full_page=True)
        page.goto(f"/sightings/{ref}")
        page.screenshot(path=str(Path(shots) / "phone-sighting.png"), full_page=True)


def test_the_rota_grid_marks_now_and_greys_hours_gone_by(new_page: Callable[..., Page]) -> None:
    page = new_page("viewer1")
    page.goto("/rota/")
    now = page.locator("table.grid td[data-when=now]")
    expect(now).to_have_count(1)
    expect(now).to_have_attribute("aria-current", "time")
    outline = now.evaluate("td => getComputedStyle(td).outlineStyle")
    assert outline == "solid"
    # The officer's shift began an hour ago: the hour before it was a gap, now gone by.
    past = page.locator("table.grid td.gap[data-when=past]")
    ahead = page.locator("table.grid td.gap:not([data-when])")
    if past.count() and ahead.count():
        colour = "td => getComputedStyle(td).backgroundColor"
        assert past.first.evaluate(colour) != ahead.first.evaluate(colour)
