"""Logging in and out in a real browser, and what each role is shown and refused."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from browser import USERNAMES, LiveSystem, login, logout, nav_links, path_of, submit_login
from playwright.sync_api import Page, expect


def test_login_shows_the_dashboard(browser_page: Page) -> None:
    login(browser_page, "operator1")
    expect(browser_page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(browser_page.locator("header")).to_contain_text("operator1 (operator)")


def test_a_wrong_password_shows_the_error_and_no_console(browser_page: Page) -> None:
    submit_login(browser_page, "viewer1", "not the password")
    expect(browser_page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    assert path_of(browser_page) == "/login"
    assert "Dashboard" not in nav_links(browser_page)
    browser_page.goto("/")
    assert path_of(browser_page) == "/login"  # still signed out


@pytest.mark.parametrize(
    ("role", "admin_links", "admin_pages"),
    [
        ("viewer", False, 403),
        ("operator", False, 403),
        ("admin", True, 200),
    ],
)
def test_each_role_sees_only_what_it_may(
    new_page: Callable[..., Page], role: str, admin_links: bool, admin_pages: int
) -> None:
    page = new_page(USERNAMES[role])
    links = nav_links(page)
    assert {"Dashboard", "Alerts", "Sightings", "Subscribers"} <= set(links)
    assert ("Users" in links) is admin_links
    assert ("Audit" in links) is admin_links
    for path in ("/users/", "/audit"):
        response = page.goto(path)
        assert response is not None
        assert response.status == admin_pages, f"{role} at {path}"


def test_sign_out_ends_the_session(browser_page: Page) -> None:
    login(browser_page, "admin1")
    logout(browser_page)
    assert path_of(browser_page) == "/login"
    expect(browser_page.get_by_text("Signed out.")).to_be_visible()
    browser_page.goto("/users/")
    assert path_of(browser_page) == "/login"


def test_two_desks_are_two_sessions(new_page: Callable[..., Page], live_system: LiveSystem) -> None:
    admin, viewer = new_page("admin1"), new_page("viewer1")
    logout(viewer)
    admin.reload()
    assert path_of(admin) == "/"
    expect(admin.locator("header")).to_contain_text("admin1 (admin)")
    assert live_system.proc.poll() is None
