"""The control room at 3 a.m. on a real console server: each live sighting's age, who has
it and its escalation stage on the dashboard; the feed every page polls to notice a new or
escalated report; the rota grid's "now" and its hours gone by."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sighting_filing import KEEPER, OFFICER, file, make_desk, on_shift
from sqlalchemy import Engine, update
from web_client import Browser, signed_in

from gateway.core.db import utcnow
from gateway.core.models import Sighting
from gateway.rota.cover import GridCell
from gateway.sightings.desk import Sightings
from gateway.sightings.standing import open_feed, standings
from web.rota import tense
from web.sighting_live import age


@pytest.fixture
def desk(engine: Engine, db_url: str) -> Sightings:
    return make_desk(engine, db_url)


def row(body: str, table: str, ref: str) -> dict[str, str]:
    """The cells of `ref`'s row in table #`table`, by class, as text."""
    section = re.search(rf'<table id="{table}".*?</table>', body, re.S)
    assert section, f"no #{table}"
    found = re.search(rf'<tr data-ref="{ref}".*?</tr>', section.group(0), re.S)
    assert found, f"{ref} not in #{table}"
    cells = re.findall(r'<td class="(age|owner|stage)"[^>]*>(.*?)</td>', found.group(0), re.S)
    return {cls: " ".join(re.sub(r"<[^>]+>", " ", text).split()) for cls, text in cells}


def older(engine: Engine, ref: str, minutes: int) -> None:
    """As if the report came in `minutes` ago (a test cannot wait twelve minutes)."""
    with engine.begin() as conn:
        conn.execute(
            update(Sighting)
            .where(Sighting.ref == ref)
            .values(created_at=utcnow() - timedelta(minutes=minutes))
        )


def test_the_dashboard_says_how_old_each_report_is_who_has_it_and_how_far_it_climbed(
    console: str, desk: Sightings, engine: Engine
) -> None:
    officer = on_shift(desk, OFFICER, "PC Lake")  # no backup: an escalation goes to the desk
    climbed = file(desk, KEEPER, "lamping near Fring")
    assert desk.escalate_due(utcnow() + timedelta(minutes=2)) == [f"{climbed.ref}:fallback"]
    waiting = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    by_sms = file(desk, KEEPER, "white van at Bircham")
    by_console = file(desk, KEEPER, "two lurchers at Sedgeford")
    older(engine, waiting.ref, 12)
    older(engine, climbed.ref, 135)
    assert desk.acknowledge(by_sms.ref, officer) == "taken"
    operator = signed_in(console, "operator1")
    token = operator.csrf("/")
    operator.post(f"/sightings/{by_console.ref}/acknowledge", {"csrf_token": token})

    body = operator.get("/").body
    first = row(body, "open-sightings", waiting.ref)
    assert first["age"] == "12 min"
    assert first["owner"] == "nobody yet"
    assert re.fullmatch(r"primary \(escalates \d\d:\d\d\)", first["stage"]), first
    assert row(body, "open-sightings", climbed.ref) == {
        "age": "2 h 15 min",
        "owner": "nobody yet",
        "stage": "desk",  # the top: nowhere further to go
    }
    assert row(body, "taken-sightings", by_sms.ref)["owner"] == "PC Lake"
    assert row(body, "taken-sightings", by_console.ref)["owner"] == "operator1"
    assert row(body, "taken-sightings", by_console.ref)["stage"] == "primary"
    assert by_sms.ref not in re.search(r'<table id="open-sightings".*?</table>', body, re.S)[0]


def test_the_feed_lists_open_reports_with_their_stage_for_signed_in_users_only(
    console: str, desk: Sightings, engine: Engine
) -> None:
    on_shift(desk, OFFICER, "PC Lake")
    first = file(desk, KEEPER, "Silver Subaru KX19 ABC at Docking")
    second = file(desk, KEEPER, "lamping near Fring")
    desk.close(first.ref, by="pc")
    assert Browser(console).get("/watch").url.endswith("/login?next=%2Fwatch")
    viewer = signed_in(console, "viewer1")
    reply = viewer.get("/watch")
    assert json.loads(reply.body) == {
        "open": [{"ref": second.ref, "stage": 0, "stage_name": "primary", "hot": False}],
        "count": 1,
    }
    desk.escalate_due(utcnow() + timedelta(minutes=2))
    assert [(o.ref, o.stage) for o in open_feed(engine)] == [(second.ref, 2)]
    assert standings(engine, [second.id])[second.id].stage == "desk"
    assert standings(engine, []) == {}


def test_age_reads_as_said_across_a_room() -> None:
    now = datetime(2026, 1, 10, 3, 0)
    assert age(now - timedelta(seconds=30), now) == "<1 min"
    assert age(now - timedelta(minutes=12, seconds=59), now) == "12 min"
    assert age(now - timedelta(hours=2, minutes=5), now) == "2 h 05 min"
    assert age(now - timedelta(days=3, hours=4, minutes=1), now) == "3 d 4 h"
    assert age(now + timedelta(seconds=5), now) == "<1 min"  # another gateway's clock ahead


def test_a_grid_cell_is_past_now_or_ahead() -> None:
    hour = datetime(2026, 1, 10, 3, 0)
    cell = GridCell(hour, ((hour, hour + timedelta(hours=1)),), None, None, gap=True)
    assert tense(cell, hour + timedelta(hours=1)) == ("past", 0.0)
    assert tense(cell, hour + timedelta(minutes=15)) == ("now", 25.0)
    assert tense(cell, hour) == ("now", 0.0)
    assert tense(cell, hour - timedelta(seconds=1)) == ("", 0.0)
    skipped = GridCell(hour, (), None, None, gap=False)  # the hour the clocks skip
    assert tense(skipped, hour + timedelta(days=1)) == ("", 0.0)
    hours = (
        (hour, hour + timedelta(hours=1)),
        (hour + timedelta(hours=1), hour + timedelta(hours=2)),
    )
    autumn = GridCell(hour, hours, None, None, gap=False)  # the hour the clocks go back
    assert tense(autumn, hour + timedelta(minutes=90)) == ("now", 75.0)


def test_the_rota_grid_marks_now_and_greys_the_hours_gone_by(console: str, desk: Sightings) -> None:
    on_shift(desk, OFFICER, "PC Lake", hours=2)
    body = signed_in(console, "viewer1").get("/rota/").body
    cells = re.findall(r'<td class="(gap|covered|skipped)"([^>]*)>', body)
    # The grid is rows of hours, columns of days: put the cells back in time order.
    rows = [cells[i : i + 7] for i in range(0, len(cells), 7)]
    assert len(rows) == 24
    in_time = [rows[h][d] for d in range(7) for h in range(24)]
    marks = [re.search(r'data-when="(\w+)"', attrs) for _, attrs in in_time]
    whens = [m.group(1) if m else "" for m in marks]
    assert whens.count("now") == 1
    at = whens.index("now")
    assert set(whens[:at]) <= {"past"} and set(whens[at + 1 :]) <= {""}
    now_cell = in_time[at]
    assert now_cell[0] == "covered" and 'aria-current="time"' in now_cell[1]
    assert re.search(r'style="--now: [\d.]+%"', now_cell[1])
    # A gap still ahead is a gap, unmarked (late on Sunday the shift runs past the week).
    ahead = [cls for (cls, _), w in zip(in_time, whens, strict=True) if w == ""]
    assert "gap" in ahead or len(ahead) <= 2
