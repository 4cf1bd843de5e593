"""The control room's night in a real browser against the whole system (`smsgw run` on
the emulator): an alert composed, confirmed and sent to a list until the page shows it
sent and every subscriber's phone has it; a gamekeeper's text appearing on the dashboard
and acknowledged there; hostile text shown as text; a viewer kept read-only."""

from __future__ import annotations

import re
from collections.abc import Callable

from browser import GAMEKEEPER, LIST_KEYWORD, OFFICER, SUBSCRIBERS, LiveSystem
from playwright.sync_api import Page, expect

ALERT = "Silver Subaru KX19 ABC heading to Docking, do not approach"


def test_an_operator_sends_an_alert_to_a_list_and_sees_it_sent(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    page = new_page("operator1")
    page.goto("/alerts/")
    page.click("#new-alert")
    page.check(f"input[name=lists][value={LIST_KEYWORD}]")
    page.fill("#text", ALERT)
    # The live preview comes from the daemon's own code: one GSM-7 part to five people.
    expect(page.locator("#preview-encoding")).to_have_text("GSM-7")
    expect(page.locator("#preview-recipients")).to_have_text("5")
    expect(page.locator("#preview-total")).to_have_text("5")
    page.click("#continue")
    expect(page.locator("#confirm-count")).to_have_text("Send to 5 recipients, 5 parts?")
    page.click("#send")
    expect(page).to_have_url(re.compile(r"/alerts/A\d+$"))
    ref = page.url.rsplit("/", 1)[1]
    for phone in SUBSCRIBERS:
        live_system.wait_sent(phone, "KX19 ABC")
    # The page follows the alert on its own (polling): no reload here.
    expect(page.locator("#alert-status")).to_have_text("sent", timeout=15_000)
    expect(page.locator("#count-queued")).to_have_text("0")
    page.goto("/alerts/")
    expect(page.locator(f"tr[data-ref={ref}]")).to_contain_text("KX19 ABC")


def test_a_texted_sighting_appears_on_the_dashboard_and_is_acknowledged(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    page = new_page("operator1")
    live_system.inject(GAMEKEEPER, "Blue L200 YR68 XYZ two men with lurchers at Sedgeford")
    forward = live_system.wait_sent(OFFICER, "YR68 XYZ")
    ref = forward.text.split()[0]
    row = page.locator(f"#open-sightings tr[data-ref={ref}]")
    expect(row).to_be_visible(timeout=15_000)  # the dashboard refreshes itself
    expect(row).to_contain_text("YR68 XYZ")
    row.get_by_role("button", name="Acknowledge").click()
    expect(page.get_by_text(f"{ref} acknowledged")).to_be_visible()
    expect(page.locator(f"#open-sightings tr[data-ref={ref}]")).to_have_count(0)
    page.goto(f"/sightings/{ref}")
    expect(page.locator("#sighting-status")).to_contain_text("acknowledged")


def test_hostile_text_in_an_sms_is_shown_as_text(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    hostile = (
        '<img src=x onerror="document.title=\'pwned\'"><script>document.title="pwned"</script>'
    )
    live_system.inject(GAMEKEEPER, f"van NG07 KLM {hostile}")
    ref = live_system.wait_sent(OFFICER, "NG07 KLM").text.split()[0]
    page = new_page("operator1")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    for path in ("/", "/inbox", "/sightings/", f"/sightings/{ref}"):
        page.goto(path)
        expect(page.get_by_text("<script>", exact=False).first).to_be_visible()
        assert page.title() != "pwned", path
        assert page.locator("img[src=x]").count() == 0, path
    assert errors == []


def test_a_viewer_can_read_but_not_send(
    new_page: Callable[..., Page], live_system: LiveSystem
) -> None:
    page = new_page("viewer1")
    page.goto("/alerts/")
    expect(page.locator("#new-alert")).to_have_count(0)
    assert page.goto("/alerts/new").status == 403  # type: ignore[union-attr]
    page.goto("/sightings/")
    expect(page.get_by_role("button", name="Acknowledge")).to_have_count(0)
    page.goto("/subscribers/")
    expect(page.locator("body")).not_to_contain_text(SUBSCRIBERS[1])  # masked for viewers
