"""The optional email and channel columns of the subscriber CSV, on a real SQLite file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from drama import mobile
from sqlalchemy import Engine, select

from gateway.core import migrate
from gateway.core.db import make_engine
from gateway.core.models import Subscriber
from gateway.subscribers.csv_io import export_csv, import_csv
from gateway.subscribers.service import Subscribers

HEADER = "phone,name,lists,email,channel\n"


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    service = Subscribers(engine)
    service.add_list("North", "NORTH")
    service.add_list("Shop watch", "SHOPS")
    return service


def choice(engine: Engine, phone: str) -> tuple[str | None, str, bool]:
    with engine.connect() as conn:
        r = conn.execute(
            select(Subscriber.email, Subscriber.channel, Subscriber.email_token).where(
                Subscriber.phone == phone
            )
        ).one()
    return r.email, r.channel, r.email_token is not None


def exported(engine: Engine) -> list[list[str]]:
    out = io.StringIO()
    export_csv(engine, out)
    return list(csv.reader(io.StringIO(out.getvalue(), newline="")))


def test_email_and_channel_import_for_new_people_and_old_files_still_import(
    engine: Engine, subs: Subscribers
) -> None:
    text = (
        HEADER
        + f"{mobile(1)},Ann,North,Ann@Example.org,both\n"
        + f"{mobile(2)},Bo,North,bo@example.org,\n"  # an address, no channel: texts still
        + f"{mobile(3)},Cy,North,,\n"
        + f"{mobile(4)},Di,North,di@example.org,EMAIL\n"
    )
    report = import_csv(engine, io.StringIO(text))
    assert (report.bad, report.imported) == ([], 4)
    assert choice(engine, mobile(1)) == ("ann@example.org", "both", True)
    assert choice(engine, mobile(2)) == ("bo@example.org", "sms", True)
    assert choice(engine, mobile(3)) == (None, "sms", False)
    assert choice(engine, mobile(4)) == ("di@example.org", "email", True)
    # Columns in any order, and a file with only one of the two.
    other = "lists,channel,phone,name\nShop watch,sms,07700 900005,Ed\n"
    assert import_csv(engine, io.StringIO(other)).bad == []
    assert choice(engine, mobile(5)) == (None, "sms", False)


def test_a_bad_address_or_channel_is_a_bad_row_with_its_line(
    engine: Engine, subs: Subscribers
) -> None:
    text = (
        HEADER
        + f"{mobile(1)},Ann,North,ann@example.org,both\n"  # 2
        + f"{mobile(2)},Bo,North,bo at example.org,sms\n"  # 3
        + f"{mobile(3)},Cy,North,cy@example.org,fax\n"  # 4
        + f"{mobile(4)},Di,North,,email\n"  # 5
        + f'{mobile(5)},Ed,North,"ed@example.org\nBcc: x@example.net",both\n'  # 6-7
        + f"{mobile(6)},Fi,North,fi@example.org;gu@example.org,sms\n"  # 8
    )
    report = import_csv(engine, io.StringIO(text))
    assert [(b.line, b.reason) for b in report.bad] == [
        (3, "'bo at example.org' is not an email address: it contains a space"),
        (4, "channel must be one of sms, email, both, not 'fax'"),
        (5, "channel email needs an email address"),
        (6, "an email address cannot contain a line break"),
        (8, "'fi@example.org;gu@example.org' is not one email address: give one, alone"),
    ]
    assert report.imported == 0 and choice_count(engine) == 0


def choice_count(engine: Engine) -> int:
    with engine.connect() as conn:
        return len(conn.execute(select(Subscriber.id)).all())


def test_an_import_fills_an_empty_address_keeps_one_on_file_and_sets_the_channel(
    engine: Engine, subs: Subscribers
) -> None:
    subs.join(mobile(1), "North")
    subs.join(mobile(2), "North")
    subs.set_email(mobile(2), "own@example.org", channel="both")
    text = (
        HEADER
        + f"{mobile(1)},,North,new@example.org,email\n"
        + f"{mobile(2)},,North,other@example.org,sms\n"
    )
    assert import_csv(engine, io.StringIO(text)).bad == []
    assert choice(engine, mobile(1)) == ("new@example.org", "email", True)
    assert choice(engine, mobile(2)) == ("own@example.org", "sms", True)


def test_export_writes_both_columns_escaped_and_never_restarts_a_stopped_email(
    engine: Engine, subs: Subscribers
) -> None:
    for n in range(1, 6):
        subs.join(mobile(n), "North", name=f"P{n}")
    subs.set_email(mobile(1), "=cmd@example.org", channel="both")  # a valid, hostile address
    subs.set_email(mobile(2), "bo@example.org", channel="email")
    subs.set_email(mobile(3), "cy@example.org", channel="both")
    subs.set_email(mobile(4), "di@example.org", channel="email")
    for phone in (mobile(3), mobile(4)):
        with engine.connect() as conn:
            link = conn.scalar(select(Subscriber.email_token).where(Subscriber.phone == phone))
        assert subs.stop_email(str(link), "leave-link")
    rows = exported(engine)
    assert rows[0] == ["phone", "name", "lists", "email", "channel", "location"]
    assert rows[1:] == [
        [f"'{mobile(1)}", "P1", "North", "'=cmd@example.org", "both", ""],
        [f"'{mobile(2)}", "P2", "North", "bo@example.org", "email", ""],
        [f"'{mobile(3)}", "P3", "North", "", "sms", ""],  # texts only now; no address to restart
        # P4 left the emails and had nothing else: left out
        [f"'{mobile(5)}", "P5", "North", "", "sms", ""],
    ]


def test_export_then_import_elsewhere_keeps_addresses_and_channels(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North")
    subs.join(mobile(2), "Shop watch")
    subs.set_email(mobile(1), "=cmd@example.org", channel="both")
    subs.set_email(mobile(2), "bo@example.org", channel="email")
    path = tmp_path / "out.csv"
    export_csv(engine, path)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        migrate.upgrade(other)
        Subscribers(other).add_list("North", "NORTH")
        Subscribers(other).add_list("Shop watch", "SHOPS")
        assert import_csv(other, path).bad == []
        assert choice(other, mobile(1)) == ("=cmd@example.org", "both", True)
        assert choice(other, mobile(2)) == ("bo@example.org", "email", True)
        assert exported(other) == exported(engine)
    finally:
        other.dispose()
