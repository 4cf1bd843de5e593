"""The rota page over a real HTTP server: the week grid, gaps in red, admins' edits."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from drama import mobile
from sqlalchemy import Engine
from web_client import Browser

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.privacy import mask
from gateway.rota.service import Rota

WEEK = "2024-05-06"  # a Monday in British Summer Time: local = UTC + 1


def grid_row(body: str, hour: str) -> list[tuple[str, str]]:
    """The seven (class, text) cells of the grid row for `hour` ("08:00")."""
    row = re.search(rf"<tr>\s*<th>{hour}</th>(.*?)</tr>", body, re.S)
    assert row, f"no grid row {hour}"
    cells = re.findall(r'<td class="([^"]*)"[^>]*>(.*?)</td>', row.group(1), re.S)
    assert len(cells) == 7
    return [(cls, " ".join(re.sub(r"<[^>]+>", " ", text).split())) for cls, text in cells]


def admin(console: str) -> tuple[Browser, str]:
    browser = Browser(console)
    browser.login("admin1")
    return browser, browser.csrf("/rota/")


def add_operator(browser: Browser, token: str, name: str, phone: str, pin: str = "") -> None:
    reply = browser.post(
        "/rota/operators",
        {"name": name, "phone": phone, "pin": pin, "week": WEEK, "csrf_token": token},
    )
    assert reply.status == 200, reply.body


def op_id(engine: Engine, name: str) -> int:
    return next(op.id for op in Rota(engine).operators() if op.name == name)


def add_shift(browser: Browser, token: str, operator: int, start: str, end: str, role: str) -> int:
    fields = {"operator_id": str(operator), "role": role, "start": start, "end": end}
    return browser.post("/rota/shifts", {**fields, "week": WEEK, "csrf_token": token}).status


def test_an_admin_adds_an_operator_and_a_shift_and_the_grid_shows_it(
    console: str, engine: Engine
) -> None:
    browser, token = admin(console)
    add_operator(browser, token, "Sgt Cole", "07700 900123", "4821")
    add_operator(browser, token, "PC Shaw", mobile(124))
    cole, shaw = op_id(engine, "Sgt Cole"), op_id(engine, "PC Shaw")
    assert add_shift(browser, token, cole, f"{WEEK}T08:00", f"{WEEK}T16:00", "primary") == 200
    assert add_shift(browser, token, shaw, f"{WEEK}T12:00", f"{WEEK}T14:00", "backup") == 200

    [first, _] = Rota(engine).shifts(datetime(2024, 5, 6), datetime(2024, 5, 7))
    assert (first.start, first.end) == (datetime(2024, 5, 6, 7), datetime(2024, 5, 6, 15))
    body = browser.get(f"/rota/?week={WEEK}").body
    assert grid_row(body, "08:00")[0] == ("covered", "Sgt Cole")
    assert grid_row(body, "12:00")[0] == ("covered", "Sgt Cole + PC Shaw")
    assert grid_row(body, "07:00")[0] == ("gap", "GAP")
    assert grid_row(body, "08:00")[1] == ("gap", "GAP")  # Tuesday: nobody
    assert "+447700900123" in body  # admins see whole numbers


def test_the_grid_shows_the_hour_the_clocks_skip(console: str) -> None:
    browser, _ = admin(console)
    body = browser.get("/rota/?week=2024-03-25").body  # clocks go forward on Sun 31 Mar
    assert [cls for cls, _ in grid_row(body, "01:00")] == ["gap"] * 6 + ["skipped"]
    assert browser.get("/rota/?week=not-a-date").status == 400
    assert browser.get("/rota/?week=9999-12-31").status == 400


def test_a_shift_is_edited_and_deleted_and_every_change_is_audited(
    console: str, engine: Engine
) -> None:
    browser, token = admin(console)
    add_operator(browser, token, "Sgt Cole", mobile(130), "4821")
    cole = op_id(engine, "Sgt Cole")
    add_shift(browser, token, cole, f"{WEEK}T08:00", f"{WEEK}T16:00", "primary")
    [shift] = Rota(engine).shifts(datetime(2024, 5, 6), datetime(2024, 5, 7))

    form = browser.get(f"/rota/shifts/{shift.id}").body
    assert f'value="{WEEK}T08:00"' in form  # shown back in local time
    fields = {"operator_id": str(cole), "role": "backup", "start": f"{WEEK}T09:00"}
    reply = browser.post(
        f"/rota/shifts/{shift.id}", {**fields, "end": f"{WEEK}T10:00", "csrf_token": token}
    )
    assert reply.status == 200
    edited = Rota(engine).shift(shift.id)
    assert edited is not None and (edited.role, edited.start) == ("backup", datetime(2024, 5, 6, 8))
    body = browser.post(f"/rota/shifts/{shift.id}/delete", {"csrf_token": token}).body
    assert grid_row(body, "09:00")[0] == ("gap", "GAP")
    assert Rota(engine).shift(shift.id) is None

    browser.post(
        f"/rota/operators/{cole}",
        {"name": "Insp Cole", "phone": mobile(131), "pin": "", "csrf_token": token},
    )
    browser.post(f"/rota/operators/{cole}/active", {"active": "0", "csrf_token": token})
    assert Rota(engine).operators() == []
    actions = [e.action for e in reversed(audit.entries(engine, actor="admin1"))]
    assert actions[1:] == [
        "rota-operator-added",
        "rota-shift-added",
        "rota-shift-edited",
        "rota-shift-deleted",
        "rota-operator-edited",
        "rota-operator-deactivated",
    ]
    detail = audit.entries(engine, action="rota-shift-edited")[0].detail
    assert "Sgt Cole backup 2024-05-06 08:00 to 2024-05-06 09:00 UTC" in detail


def test_deactivating_an_operator_ends_their_cover_from_now(console: str, engine: Engine) -> None:
    browser, token = admin(console)
    add_operator(browser, token, "PC Shaw", mobile(140))
    shaw = op_id(engine, "PC Shaw")
    rota = Rota(engine)
    now = utcnow()
    under_way = rota.add_shift(shaw, now - timedelta(hours=1), now + timedelta(hours=1))
    rota.add_shift(shaw, now + timedelta(hours=2), now + timedelta(hours=3))
    assert rota.on_duty()[0] is not None
    reply = browser.post(f"/rota/operators/{shaw}/active", {"active": "0", "csrf_token": token})
    assert "PC Shaw is off the rota; 2 shift(s) of theirs ended." in reply.body
    assert rota.on_duty() == (None, None)
    ended = rota.shift(under_way)
    assert ended is not None and now <= ended.end <= utcnow()
    later = utcnow()
    assert rota.shifts(later, later + timedelta(days=1)) == []
    body = browser.get("/rota/").body
    assert "PC Shaw" in body and "reactivate" in body
    browser.post(f"/rota/operators/{shaw}/active", {"active": "1", "csrf_token": token})
    assert [op.name for op in rota.operators()] == ["PC Shaw"]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"name": "PC Bad", "phone": "12", "pin": ""}, "not a possible number"),
        ({"name": "PC Bad", "phone": mobile(150), "pin": "12ab"}, "PIN is 4-8 digits"),
        ({"name": "  ", "phone": mobile(150), "pin": ""}, "needs a name"),
    ],
)
def test_a_bad_operator_is_refused_with_the_reason(
    console: str, engine: Engine, fields: dict[str, str], error: str
) -> None:
    browser, token = admin(console)
    reply = browser.post("/rota/operators", {**fields, "csrf_token": token})
    assert reply.status == 400 and error in reply.body
    assert Rota(engine).operators() == []


def test_a_shift_that_ends_before_it_starts_is_refused(console: str, engine: Engine) -> None:
    browser, token = admin(console)
    add_operator(browser, token, "Sgt Cole", mobile(160))
    cole = op_id(engine, "Sgt Cole")
    assert add_shift(browser, token, cole, f"{WEEK}T16:00", f"{WEEK}T08:00", "primary") == 400
    assert add_shift(browser, token, 999, f"{WEEK}T08:00", f"{WEEK}T16:00", "primary") == 400
    assert Rota(engine).shifts(datetime(2024, 5, 1), datetime(2024, 6, 1)) == []


@pytest.mark.parametrize("username", ["viewer1", "operator1"])
def test_only_admins_change_the_rota(console: str, engine: Engine, username: str) -> None:
    rota = Rota(engine)
    op = rota.add_operator("Sgt Cole", mobile(170))
    shift = rota.add_shift(op.id, datetime(2024, 5, 6, 7), datetime(2024, 5, 6, 15))
    browser = Browser(console)
    browser.login(username)
    page = browser.get(f"/rota/?week={WEEK}")
    assert page.status == 200 and grid_row(page.body, "08:00")[0] == ("covered", "Sgt Cole")
    assert "/rota/shifts" not in page.body and "deactivate" not in page.body
    token = browser.csrf("/rota/")
    for path in (
        "/rota/operators",
        f"/rota/operators/{op.id}",
        f"/rota/operators/{op.id}/active",
        "/rota/shifts",
        f"/rota/shifts/{shift}",
        f"/rota/shifts/{shift}/delete",
    ):
        assert browser.post(path, {"csrf_token": token, "active": "0"}).status == 403, path
    assert browser.get(f"/rota/shifts/{shift}").status == 403
    assert rota.shift(shift) is not None and rota.operators() == [op]
    shown = "+447700900170" if username == "operator1" else mask("+447700900170")
    assert shown in page.body and ("+447700900170" in page.body) == (username == "operator1")


def test_hostile_names_show_as_text(console: str, engine: Engine) -> None:
    browser, token = admin(console)
    hostile = '<script>alert("x")</script>'
    add_operator(browser, token, hostile, mobile(180))
    add_shift(browser, token, op_id(engine, hostile), f"{WEEK}T08:00", f"{WEEK}T09:00", "primary")
    body = browser.get(f"/rota/?week={WEEK}").body
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in body
