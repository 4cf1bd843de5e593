"""lists, subscribers import/export and qr, as an operator runs them."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from procs import SMSGW


def smsgw(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SMSGW, *args], capture_output=True, text=True, timeout=60)


def config_file(tmp_path: Path, db_url: str, number: str = "+447700900000") -> str:
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n\n[gateway]\nnumber = "{number}"\n')
    return str(path)


def test_lists_are_added_and_shown_with_member_counts(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    done = smsgw("lists", "add", "Docking farms", "--keyword", "docking", "--config", cfg)
    assert done.returncode == 0 and "JOIN DOCKING" in done.stdout
    again = smsgw("lists", "add", "Docking again", "--keyword", "DOCKING", "--config", cfg)
    assert again.returncode == 2 and "exists already" in again.stderr
    reserved = smsgw("lists", "add", "Stoppers", "--keyword", "stop", "--config", cfg)
    assert reserved.returncode == 2 and "STOP is a word the gateway obeys" in reserved.stderr
    shown = json.loads(smsgw("lists", "--json", "--config", cfg).stdout)
    assert [(x["name"], x["keyword"], x["members"]) for x in shown] == [
        ("Docking farms", "DOCKING", 0)
    ]


def test_a_bad_row_stops_the_whole_import_and_names_its_line(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    csv = tmp_path / "people.csv"
    csv.write_text(
        "phone,name,lists\n07700 900101,Tom,DOCKING\nnot a number,Ann,DOCKING\n"
        "07700 900103,Jim,NOWHERE\n"
    )
    done = smsgw("subscribers", "import", str(csv), "--config", cfg)
    assert done.returncode == 1
    assert f"{csv}:3:" in done.stderr and f"{csv}:4:" in done.stderr
    assert json.loads(smsgw("lists", "--json", "--config", cfg).stdout)[0]["members"] == 0
    skip = smsgw("subscribers", "import", str(csv), "--skip-bad", "--config", cfg)
    assert skip.returncode == 0 and f"{csv}:3:" in skip.stderr
    assert json.loads(smsgw("lists", "--json", "--config", cfg).stdout)[0]["members"] == 1


def test_export_writes_what_import_reads(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    csv = tmp_path / "in.csv"
    csv.write_text('phone,name,lists\n07700 900101,"=HYPERLINK(""http://x"",""x"")",DOCKING\n')
    assert smsgw("subscribers", "import", str(csv), "--config", cfg).returncode == 0
    out = tmp_path / "out.csv"
    done = smsgw("subscribers", "export", str(out), "--config", cfg)
    assert done.returncode == 0 and "1 subscribers" in done.stdout
    text = out.read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_qr_writes_a_badge_for_a_list(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    out = tmp_path / "badge.svg"
    done = smsgw("qr", "--list", "Docking farms", "--out", str(out), "--config", cfg)
    assert done.returncode == 0, done.stderr
    assert "JOIN DOCKING" in out.read_text() and "Docking farms" in out.read_text()
    missing = smsgw("qr", "--list", "Nowhere", "--out", str(out), "--config", cfg)
    assert missing.returncode == 2 and "no list called" in missing.stderr


def test_alert_prints_its_reference_and_status_shows_its_progress(
    tmp_path: Path, db_url: str
) -> None:
    from gateway.core.db import make_engine
    from gateway.subscribers.service import Subscribers

    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    engine = make_engine(db_url)
    for n in range(3):
        Subscribers(engine).join(f"+44770090020{n}", "DOCKING", method="officer", by="pc")
    done = smsgw("alert", "--list", "DOCKING", "--text", "Silver Subaru KX19 ABC", "--config", cfg)
    assert done.returncode == 0, done.stderr
    ref = done.stdout.strip()
    assert ref.startswith("A")
    status = json.loads(smsgw("status", "--json", "--config", cfg).stdout)
    [alert] = status["alerts"]
    assert (alert["ref"], alert["recipients"], alert["progress"]["queued"]) == (ref, 3, 3)
    later = smsgw(
        "alert", "--list", "DOCKING", "--text", "x", "--at", "2099-01-01T06:00", "--config", cfg
    )
    assert later.returncode == 0
    status = json.loads(smsgw("status", "--json", "--config", cfg).stdout)
    assert status["alerts"][0]["status"] == "scheduled"
    past = smsgw(
        "alert", "--list", "DOCKING", "--text", "x", "--at", "2001-01-01T06:00", "--config", cfg
    )
    assert past.returncode == 2 and "in the past" in past.stderr
    unknown = smsgw("alert", "--list", "NOWHERE", "--text", "x", "--config", cfg)
    assert unknown.returncode == 2 and "no list called" in unknown.stderr


def test_an_alert_the_compose_step_refuses_is_one_line_and_status_2(
    tmp_path: Path, db_url: str
) -> None:
    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    alert = ("alert", "--list", "DOCKING", "--config", cfg)
    edge = "9999-12-31T23:59-01:00"  # a valid ISO time, but past the calendar's end in UTC
    late = smsgw(*alert, "--text", "x", "--at", edge)
    assert late.returncode == 2
    assert late.stderr == f"smsgw: --at {edge!r} is not an ISO time such as 2026-11-23T06:30\n"
    long = smsgw(*alert, "--text", "x" * 1001, "--preview")  # the console's preview says so too
    assert long.returncode == 2 and long.stderr == "smsgw: an alert is at most 1000 characters\n"


def test_alert_from_the_shipped_template_previewed_then_sent(tmp_path: Path, db_url: str) -> None:
    from gateway.core.db import make_engine
    from gateway.subscribers.service import Subscribers

    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    Subscribers(make_engine(db_url)).join("+447700900250", "DOCKING", method="qr")
    fields = [
        "reference=R12",
        "colour=silver",
        "make_model=Subaru Forester",
        "registration=kx19abc",
        "where=Bircham",
        "time=22:40",
        "direction=Docking",
        "action=Do not approach, call 999.",
    ]
    args = ["alert", "--list", "DOCKING", "--template", "suspect vehicle", "--config", cfg]
    for field in fields:
        args += ["--field", field]
    shown = smsgw(*args, "--preview")
    assert shown.returncode == 0, shown.stderr
    assert "KX19 ABC" in shown.stdout and "1 recipient(s)" in shown.stdout
    assert json.loads(smsgw("status", "--json", "--config", cfg).stdout)["alerts"] == []
    sent = smsgw(*args)
    assert sent.returncode == 0 and sent.stdout.startswith("A")
    missing = smsgw(
        "alert",
        "--list",
        "DOCKING",
        "--template",
        "suspect vehicle",
        "--field",
        "colour=red",
        "--config",
        cfg,
    )
    assert missing.returncode == 2 and "registration" in missing.stderr


def test_alerts_are_listed_cancelled_and_templates_added(tmp_path: Path, db_url: str) -> None:
    from gateway.core.db import make_engine
    from gateway.subscribers.service import Subscribers

    cfg = config_file(tmp_path, db_url)
    smsgw("lists", "add", "Docking farms", "--keyword", "DOCKING", "--config", cfg)
    for n in range(3):
        Subscribers(make_engine(db_url)).join(f"+44770090026{n}", "DOCKING", method="qr")
    ref = smsgw("alert", "--list", "DOCKING", "--text", "hare coursers", "--config", cfg)
    ref_text = ref.stdout.strip()
    listed = json.loads(smsgw("alerts", "--json", "--config", cfg).stdout)
    assert [(a["ref"], a["progress"]["queued"]) for a in listed] == [(ref_text, 3)]
    cancelled = smsgw("alerts", "cancel", ref_text, "--config", cfg)
    assert cancelled.returncode == 0 and "3 message(s) stopped" in cancelled.stdout
    assert smsgw("alerts", "cancel", "A9999", "--config", cfg).returncode == 2
    added = smsgw(
        "templates", "add", "lamping", "--body", "Lamping seen at {place}", "--config", cfg
    )
    assert added.returncode == 0 and "fields: place" in added.stdout
    bad = smsgw("templates", "add", "evil", "--body", "{x.__class__}", "--config", cfg)
    assert bad.returncode == 2
    names = [t["name"] for t in json.loads(smsgw("templates", "--json", "--config", cfg).stdout)]
    assert sorted(names) == ["lamping", "suspect vehicle"]


def test_rota_gaps_and_sightings_from_the_command_line(tmp_path: Path, db_url: str) -> None:
    cfg = config_file(tmp_path, db_url)
    empty = json.loads(smsgw("rota", "gaps", "--days", "2", "--json", "--config", cfg).stdout)
    assert len(empty) == 1 and empty[0]["hours"] == 48.0  # nobody on duty at all
    added = smsgw("rota", "add-operator", "PC Smith", "--phone", "07700 900601", "--config", cfg)
    assert added.returncode == 0, added.stderr
    shift = smsgw(
        "rota",
        "add-shift",
        "--phone",
        "07700900601",
        "--start",
        "2000-01-01T00:00",
        "--end",
        "2099-01-01T00:00",
        "--config",
        cfg,
    )
    assert shift.returncode == 0, shift.stderr
    assert json.loads(smsgw("rota", "gaps", "--json", "--config", cfg).stdout) == []
    assert json.loads(smsgw("sightings", "--json", "--config", cfg).stdout) == []
