"""Subscribers import and export as CSV, against a real migrated SQLite file."""

from __future__ import annotations

import csv
import io
import os
import re
import time
from pathlib import Path

import pytest
from drama import mobile, numbers
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select

from gateway.core import audit, migrate
from gateway.core.db import make_engine
from gateway.core.models import AuditEntry, Consent, Membership, Subscriber, SubscriberList
from gateway.subscribers.csv_io import (
    CsvError,
    ImportConflict,
    ImportReport,
    escape_cell,
    export_csv,
    import_csv,
    unescape_cell,
)
from gateway.subscribers.csv_rows import FORMULA_STARTS
from gateway.subscribers.service import Subscribers

LISTS = (("Docking farms", "DOCKING"), ("North", "NORTH"), ("Shop watch", "SHOPS"))
HEADER = "phone,name,lists\n"
# Far above what the import takes (about 2 s here), far below a transaction per row.
BIG_IMPORT_SECONDS = 20.0


@pytest.fixture
def subs(engine: Engine) -> Subscribers:
    service = Subscribers(engine)
    for name, keyword in LISTS:
        service.add_list(name, keyword)
    return service


def write(tmp_path: Path, text: str, name: str = "people.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            table.__tablename__: int(conn.scalar(select(func.count()).select_from(table)) or 0)
            for table in (Subscriber, Membership, Consent, AuditEntry)
        }


def lists_of(engine: Engine, phone: str) -> dict[str, bool]:
    """List name -> membership active, for one number."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(Subscriber.id, Membership.list_id, Membership.active)
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .where(Subscriber.phone == phone)
        ).all()
    names = {info.id: info.name for info in Subscribers(engine).lists()}
    return {names[r.list_id]: bool(r.active) for r in rows}


def person(engine: Engine, phone: str) -> tuple[str, bool]:
    with engine.connect() as conn:
        row = conn.execute(
            select(Subscriber.name, Subscriber.stopped).where(Subscriber.phone == phone)
        ).one()
    return row.name, bool(row.stopped)


def reasons(report: ImportReport) -> list[tuple[int, str]]:
    return [(bad.line, bad.reason) for bad in report.bad]


# -- import ----------------------------------------------------------------------------
def test_it_imports_people_with_their_lists_and_one_consent_per_membership(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        HEADER + f"{mobile(1)},Ann Hale,Docking farms;North\n{mobile(2)},,Shop watch\n",
    )
    report = import_csv(engine, path, by="officer.jones")
    assert report == ImportReport(2, 0, [], 2, 3, stopped=0, kept_left=0, rows=2)
    assert lists_of(engine, mobile(1)) == {"Docking farms": True, "North": True}
    assert person(engine, mobile(1)) == ("Ann Hale", False)
    assert person(engine, mobile(2)) == ("", False)
    with engine.connect() as conn:
        consents = conn.execute(select(Consent.action, Consent.method, Consent.by)).all()
    assert sorted(consents) == [("join", "import", "officer.jones")] * 3
    entry = audit.entries(engine, action="subscribers-imported")[0]
    assert (entry.actor, entry.detail) == ("officer.jones", "2 people from 2 rows of people.csv")


def test_it_reads_national_numbers_keywords_spaces_and_an_excel_bom(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    text = (
        "\ufeffPhone , NAME,Lists,,\r\n"  # Excel: BOM, CRLF, odd case, empty trailing columns
        "07700 900001,  Ann Hale  , docking ; Shop Watch ;,,\r\n"
        "\r\n"
        ",,\r\n"  # Excel's empty row
        "0044 7700 900002,Bob,nOrTh\r\n"
        "'+447700900003,Cy,NORTH\r\n"  # as export writes it
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(text.encode("utf-8"))
    report = import_csv(engine, path)
    assert (report.bad, report.imported, report.rows) == ([], 3, 3)
    assert lists_of(engine, mobile(1)) == {"Docking farms": True, "Shop watch": True}
    assert person(engine, mobile(1)) == ("Ann Hale", False)
    assert lists_of(engine, mobile(2)) == {"North": True}
    assert lists_of(engine, mobile(3)) == {"North": True}


HOSTILE = (
    HEADER
    + f"{mobile(1)},Good,North\n"  # 2
    + "not-a-number,Al,North\n"  # 3
    + f"{mobile(3)},Bo,Nowhere\n"  # 4
    + f"{mobile(4)},Cy\n"  # 5
    + f"{mobile(5)},Da\x07ve,North\n"  # 6
    + f"{mobile(6)},{'x' * 101},North\n"  # 7
    + f"{mobile(7)},Ed,\n"  # 8
    + "\n"  # 9
    + f'{mobile(8)},"Gw\nen",North\n'  # 10-11: a quoted cell across two lines
    + "12345,Hu,Nowhere;North;Elsewhere\n"  # 12: three problems
    + f"{mobile(9)},Iv\u202etxt.exe,North\n"  # 13: a bidi override
    + f"{mobile(10)},Jo,North,extra\n"  # 14
    + f"{mobile(11)},Ka,Shop watch\n"  # 15
)


def test_it_reports_every_bad_row_with_its_line_and_reason(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    report = import_csv(engine, write(tmp_path, HOSTILE))
    assert reasons(report) == [
        (3, "'not-a-number' is not a phone number "
            "((1) The string supplied did not seem to be a phone number.)"),
        (4, "unknown list 'Nowhere'"),
        (5, "expected 3 columns (phone,name,lists), found 2"),
        (6, "name contains a control character (U+0007)"),
        (7, "name longer than 100 characters (101)"),
        (8, "no list given"),
        (10, "name contains a control character (U+000A)"),
        (12, "'12345' is not a possible number for region GB; "
             "unknown list 'Nowhere'; unknown list 'Elsewhere'"),
        (13, "name contains a control character (U+202E)"),
        (14, "expected 3 columns (phone,name,lists), found 4"),
    ]  # fmt: skip
    assert report.rows == 12


def test_one_bad_row_changes_nothing(engine: Engine, subs: Subscribers, tmp_path: Path) -> None:
    subs.join(mobile(1), "North", name="Already here")
    before = counts(engine)
    report = import_csv(engine, write(tmp_path, HOSTILE))
    assert (report.imported, report.new_subscribers, report.memberships) == (0, 0, 0)
    assert len(report.bad) == 10
    assert counts(engine) == before
    assert lists_of(engine, mobile(1)) == {"North": True}


def test_skip_bad_imports_the_good_rows_and_still_reports_the_bad_ones(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    report = import_csv(engine, write(tmp_path, HOSTILE), skip_bad=True)
    assert (report.imported, report.new_subscribers, report.memberships) == (2, 2, 2)
    assert [bad.line for bad in report.bad] == [3, 4, 5, 6, 7, 8, 10, 12, 13, 14]
    assert counts(engine)["subscribers"] == 2
    assert lists_of(engine, mobile(11)) == {"Shop watch": True}
    assert "10 bad rows skipped" in audit.entries(engine)[0].detail


def test_rows_with_the_same_number_are_merged_into_one_person(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    text = HEADER + "07700 900001,,North\n+447700900001,Ann,SHOPS\n+44 7700 900001,Bea,north\n"
    report = import_csv(engine, write(tmp_path, text))
    assert (report.imported, report.merged, report.memberships) == (1, 2, 2)
    assert person(engine, mobile(1)) == ("Ann", False)
    assert lists_of(engine, mobile(1)) == {"North": True, "Shop watch": True}


def test_an_existing_subscriber_keeps_their_name_and_gains_the_new_lists(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North", name="Old Name", method="sms")
    subs.join(mobile(2), "North", method="sms")
    text = HEADER + f"{mobile(1)},New Name,North;Shop watch\n{mobile(2)},Bea,North\n"
    report = import_csv(engine, write(tmp_path, text))
    assert (report.imported, report.new_subscribers, report.memberships) == (2, 0, 1)
    assert person(engine, mobile(1)) == ("Old Name", False)
    assert person(engine, mobile(2)) == ("Bea", False)
    assert lists_of(engine, mobile(1)) == {"North": True, "Shop watch": True}
    assert counts(engine)["consents"] == 3  # two SMS joins, one import


def test_importing_the_same_file_twice_adds_nothing_the_second_time(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    text = HEADER + "".join(f"{mobile(i)},P{i},North;Docking farms\n" for i in range(50))
    path = write(tmp_path, text)
    first = import_csv(engine, path)
    after_first = counts(engine)
    second = import_csv(engine, path)
    assert (first.new_subscribers, first.memberships) == (50, 100)
    assert (second.imported, second.new_subscribers, second.memberships) == (50, 0, 0)
    assert counts(engine) == {**after_first, "audit_log": after_first["audit_log"] + 1}


def test_a_global_stop_survives_an_import(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North")
    subs.set_stopped(mobile(1), True)
    report = import_csv(engine, write(tmp_path, HEADER + f"{mobile(1)},Ann,North;Shop watch\n"))
    assert (report.imported, report.stopped) == (1, 1)
    assert person(engine, mobile(1)) == ("Ann", True)
    ids = [info.id for info in subs.lists()]
    assert subs.recipients(ids) == []


def test_a_list_someone_left_is_not_rejoined_by_an_import(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    north = subs.join(mobile(1), "North")
    subs.leave(mobile(1), "NORTH", method="sms")
    consents = counts(engine)["consents"]
    report = import_csv(engine, write(tmp_path, HEADER + f"{mobile(1)},Ann,North;Shop watch\n"))
    assert (report.kept_left, report.memberships) == (1, 1)
    assert lists_of(engine, mobile(1)) == {"North": False, "Shop watch": True}
    assert subs.recipients([north.id]) == []
    assert counts(engine)["consents"] == consents + 1


def test_an_erased_subscriber_is_imported_as_someone_new(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North", name="Ann")
    subs.erase(mobile(1), by="officer")
    report = import_csv(engine, write(tmp_path, HEADER + f"{mobile(1)},,Shop watch\n"))
    assert (report.new_subscribers, report.stopped) == (1, 0)
    assert counts(engine)["subscribers"] == 2  # the erased row keeps its id and dates
    assert person(engine, mobile(1)) == ("", False)
    assert lists_of(engine, mobile(1)) == {"Shop watch": True}


def test_a_name_two_lists_share_must_be_given_as_a_keyword(engine: Engine, tmp_path: Path) -> None:
    subs = Subscribers(engine)
    subs.add_list("Farms", "FARMA")
    subs.add_list("farms", "FARMB")
    text = HEADER + f"{mobile(1)},,farms\n{mobile(2)},,farmb\n"
    report = import_csv(engine, write(tmp_path, text), skip_bad=True)
    assert reasons(report) == [(2, "list name 'farms' matches 2 lists: use its keyword")]
    assert lists_of(engine, mobile(2)) == {"farms": True}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"\r\n\n,,\n", "the file is empty"),
        (b"phone,name,lists\nx,Si\xe2n,North\n", "line 2: not UTF-8 (byte 0xe2)"),
        ("phone,name,lists\n".encode("utf-16"), "the file is UTF-16"),
        (b"phone,name\n", "line 1: the header needs phone,name,lists; missing lists"),
        (b"\nnumber,name,lists\n", "line 2: the header needs phone,name,lists; missing phone"),
        (
            b"phone,name,lists,fax\n",
            "the header is phone,name,lists (and email,channel,location if",
        ),
        (b"phone,name,lists,email,email\n", "not phone,name,lists,email,email"),
    ],
)
def test_a_file_that_is_not_a_subscriber_csv_raises_csv_error(
    engine: Engine, subs: Subscribers, tmp_path: Path, data: bytes, message: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_bytes(data)
    before = counts(engine)
    with pytest.raises(CsvError, match=re.escape(message)):
        import_csv(engine, path)
    assert counts(engine) == before


def test_a_missing_file_raises_csv_error(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(CsvError, match=r"cannot read .*nothing\.csv: No such file"):
        import_csv(engine, tmp_path / "nothing.csv")


def test_a_text_stream_with_a_bom_imports_like_a_file(engine: Engine, subs: Subscribers) -> None:
    stream = io.StringIO("\ufeff" + HEADER + f"{mobile(1)},Ann,North\n")
    report = import_csv(engine, stream)
    assert (report.bad, report.new_subscribers) == ([], 1)


def test_a_failure_while_writing_rolls_back_the_whole_import(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North")
    with engine.begin() as conn:  # the last statement of the import fails
        if engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'no'"
                " USING ERRCODE = 'integrity_constraint_violation'; END $$ LANGUAGE plpgsql"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON consents"
                " FOR EACH ROW EXECUTE FUNCTION refuse()"
            )
        else:
            conn.exec_driver_sql(
                "CREATE TRIGGER refuse BEFORE INSERT ON consents"
                " BEGIN SELECT RAISE(ABORT, 'no'); END"
            )
    before = counts(engine)
    text = HEADER + f"{mobile(1)},Ann,Shop watch\n{mobile(2)},Bo,North\n"
    with pytest.raises(ImportConflict, match="nothing was imported: run it again"):
        import_csv(engine, write(tmp_path, text))
    assert counts(engine) == before
    assert person(engine, mobile(1)) == ("", False)
    assert lists_of(engine, mobile(1)) == {"North": True}


# -- export ----------------------------------------------------------------------------
HOSTILE_NAMES = (
    '=HYPERLINK("http://x.example","click")',
    "<script>alert(1)</script>",
    "-2+3",
    "@SUM(A1:A9)",
    "+44 is my country code",
    "=cmd|' /C calc'!A0",
    "'Tis Me",
    "Siân Ó Briain",
)


def cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def test_export_writes_formulas_and_numbers_as_text_and_markup_unchanged(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    for i, name in enumerate(HOSTILE_NAMES):
        subs.join(mobile(i), "North", name=name)
    path = tmp_path / "out.csv"
    assert export_csv(engine, path) == len(HOSTILE_NAMES)
    rows = cells(path.read_text(encoding="utf-8-sig"))
    assert rows[0] == ["phone", "name", "lists", "email", "channel", "location"]
    assert [r[0] for r in rows[1:]] == [f"'{mobile(i)}" for i in range(len(HOSTILE_NAMES))]
    assert [r[1] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x.example","click")',
        "<script>alert(1)</script>",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'+44 is my country code",
        "'=cmd|' /C calc'!A0",
        "''Tis Me",
        "Siân Ó Briain",
    ]
    for row in rows[1:]:
        assert all(cell.lstrip(" ")[:1] not in FORMULA_STARTS for cell in row)


def test_export_then_import_into_a_fresh_database_gives_the_same_people_and_lists(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    for i, name in enumerate(HOSTILE_NAMES):
        subs.join(mobile(i), LISTS[i % 3][0], name=name)
        subs.join(mobile(i), "Shop watch")
    path = tmp_path / "out.csv"
    export_csv(engine, path)
    other = make_engine(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        migrate.upgrade(other)
        for name, keyword in LISTS:
            Subscribers(other).add_list(name, keyword)
        report = import_csv(other, path)
        assert (report.bad, report.imported) == ([], len(HOSTILE_NAMES))
        for i, name in enumerate(HOSTILE_NAMES):
            assert person(other, mobile(i)) == (name, False)
            assert lists_of(other, mobile(i)) == lists_of(engine, mobile(i))
    finally:
        other.dispose()


def test_export_then_import_into_the_same_database_changes_nothing(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    for i in range(20):
        subs.join(mobile(i), LISTS[i % 3][1], name=HOSTILE_NAMES[i % len(HOSTILE_NAMES)])
    path = tmp_path / "out.csv"
    export_csv(engine, path)
    before = counts(engine)
    report = import_csv(engine, path)
    assert (report.bad, report.imported, report.new_subscribers, report.memberships) == (
        [], 20, 0, 0
    )  # fmt: skip
    assert counts(engine) == {**before, "audit_log": before["audit_log"] + 1}


def test_export_leaves_out_stopped_erased_and_listless_people(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North", name="Stays")
    subs.join(mobile(2), "North", name="Stopped")
    subs.set_stopped(mobile(2), True)
    subs.join(mobile(3), "North", name="Erased")
    subs.erase(mobile(3), by="officer")
    subs.join(mobile(4), "North", name="Left")
    subs.leave(mobile(4), "North")
    subs.join(mobile(5), "North", name="Left one")
    subs.join(mobile(5), "Shop watch")
    subs.leave(mobile(5), "North")
    out = io.StringIO()
    assert export_csv(engine, out, by="officer.jones") == 2
    assert cells(out.getvalue())[1:] == [
        [f"'{mobile(1)}", "Stays", "North", "", "sms", ""],
        [f"'{mobile(5)}", "Left one", "Shop watch", "", "sms", ""],
    ]
    entry = audit.entries(engine, action="subscribers-exported")[0]
    assert (entry.actor, entry.detail) == ("officer.jones", "2 people")


def test_a_list_name_that_would_not_read_back_is_exported_as_its_keyword(
    engine: Engine, tmp_path: Path
) -> None:
    subs = Subscribers(engine)
    subs.add_list("North; coast", "NCOAST")
    subs.add_list("Farms", "FARMA")
    subs.add_list("farms", "FARMB")
    subs.join(mobile(1), "NCOAST")
    subs.join(mobile(1), "FARMA")
    subs.join(mobile(1), "FARMB")
    path = tmp_path / "out.csv"
    export_csv(engine, path)
    assert cells(path.read_text(encoding="utf-8-sig"))[1] == [
        f"'{mobile(1)}", "", "FARMA;FARMB;NCOAST", "", "sms", ""
    ]  # fmt: skip
    assert import_csv(engine, path).bad == []


def test_an_export_file_is_private_replaced_whole_and_opens_in_excel_as_utf8(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North", name="Siân")
    path = tmp_path / "out.csv"
    path.write_text("old contents, much longer than the new ones " * 100)
    path.chmod(0o644)
    export_csv(engine, path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfphone,name,lists,email,channel,location\r\n")
    assert "Siân".encode() in data and b"old contents" not in data
    assert path.stat().st_mode & 0o777 == 0o600
    assert os.listdir(tmp_path).count("out.csv") == 1 and len(list(tmp_path.glob(".out*"))) == 0


def test_export_and_import_work_on_binary_streams(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    subs.join(mobile(1), "North", name="Siân")
    out = io.BytesIO()
    export_csv(engine, out)
    subs.erase(mobile(1), by="officer")
    report = import_csv(engine, io.BytesIO(out.getvalue()))
    assert (report.bad, report.new_subscribers) == ([], 1)
    assert person(engine, mobile(1)) == ("Siân", False)


@given(st.text())
def test_an_escaped_cell_never_starts_a_formula_and_reads_back_unchanged(text: str) -> None:
    escaped = escape_cell(text)
    assert unescape_cell(escaped) == text
    assert escaped.lstrip(" ")[:1] not in FORMULA_STARTS


# -- a force's whole list --------------------------------------------------------------
ROW_LISTS = ("Docking farms", "north", "SHOPS ; Docking farms")


def big_file(tmp_path: Path, phones: list[str], rows: int) -> Path:
    lines = [f"{phones[i % len(phones)]},Person {i},{ROW_LISTS[i % 3]}\n" for i in range(rows)]
    return write(tmp_path, HEADER + "".join(lines), "force.csv")


def test_26500_rows_over_the_1000_drama_mobiles_merge_into_1000_people(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    path = big_file(tmp_path, [mobile(i) for i in range(1000)], 26_500)
    started = time.monotonic()
    report = import_csv(engine, path)
    seconds = time.monotonic() - started
    assert (report.rows, report.imported, report.merged) == (26_500, 1000, 25_500)
    # Each number's 26 or 27 rows cycle through all three list cells.
    assert (report.new_subscribers, report.memberships, report.bad) == (1000, 3000, [])
    assert person(engine, mobile(7)) == ("Person 7", False)
    assert seconds < BIG_IMPORT_SECONDS


def all_memberships(engine: Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(Subscriber.phone, SubscriberList.name)
            .join(Membership, Membership.subscriber_id == Subscriber.id)
            .join(SubscriberList, SubscriberList.id == Membership.list_id)
            .where(Membership.active)
        ).all()
    found: dict[str, set[str]] = {}
    for phone, name in rows:
        found.setdefault(str(phone), set()).add(name)
    return found


def test_26500_rows_import_every_ofcom_drama_number_in_one_go(
    engine: Engine, subs: Subscribers, tmp_path: Path
) -> None:
    phones = numbers(20_000)  # all there are: the last 6,500 rows repeat the first numbers
    path = big_file(tmp_path, phones, 26_500)
    started = time.monotonic()
    report = import_csv(engine, path, by="officer.jones")
    seconds = time.monotonic() - started
    cell_lists = {
        "Docking farms": {"Docking farms"},
        "north": {"North"},
        "SHOPS ; Docking farms": {"Shop watch", "Docking farms"},
    }
    expected: dict[str, set[str]] = {}
    for i in range(26_500):
        expected.setdefault(phones[i % 20_000], set()).update(cell_lists[ROW_LISTS[i % 3]])
    wanted = sum(len(names) for names in expected.values())
    assert (report.rows, report.imported, report.merged) == (26_500, 20_000, 6_500)
    assert (report.new_subscribers, report.memberships, report.bad) == (20_000, wanted, [])
    assert all_memberships(engine) == expected
    assert counts(engine)["consents"] == wanted
    assert seconds < BIG_IMPORT_SECONDS
