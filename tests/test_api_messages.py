"""One message over the API with a token from `smsgw token add` (the real command line),
followed through a real daemon on the emulator to `sent` and `delivered`; revoked tokens,
viewers and bad bodies refused; received texts read with `since`."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from procs import wait_for
from sqlalchemy import Engine, insert

from gateway.app.daemon import Daemon
from gateway.core import audit, config, users
from gateway.core.db import utcnow
from gateway.core.models import InboundMessage
from gateway.core.privacy import mask

TO = "+447700900321"


def call(base: str, method: str, path: str, token: str, body: object = None) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def smsgw(cfg: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args, "--config", str(cfg)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def cfg_file(tmp_path: Path, db_url: str) -> Path:
    path = tmp_path / "smsgw.toml"
    path.write_text(f'[database]\nurl = "{db_url}"\n')
    return path


def cli_token(cfg: Path, username: str) -> str:
    return smsgw(cfg, "token", "add", "--username", username, "--name", "incident system").split()[
        0
    ]


@pytest.fixture
def daemon(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[Daemon]:
    cfg = config.from_dict(
        {
            "database": {"url": db_url},
            "gateway": {"node": "test"},
            "modem": [
                {
                    "name": "e1",
                    "driver": "emulator",
                    "log": str(tmp_path / "e.log"),
                    "send_latency": 0.05,
                }
            ],
            "outbox": {"poll_interval": 0.05, "status_reports": True},
        }
    )
    running = Daemon(cfg, engine=engine)
    running.start()
    yield running
    running.stop()


def test_a_cli_token_sends_a_message_followed_to_delivered(
    console: str, cfg_file: Path, engine: Engine, daemon: Daemon
) -> None:
    token = cli_token(cfg_file, "operator1")
    body = {"to": "07700 900321", "text": "Gate left open at Sedgeford", "priority": "normal"}
    status, made = call(console, "POST", "/api/v1/messages", token, body)
    assert status == 201 and made["status"] == "queued", made

    def state() -> dict[str, Any]:
        return call(console, "GET", f"/api/v1/messages/{made['id']}", token)[1]

    wait_for(lambda: state()["status"] in ("sent", "delivered"), 20, "the message sent")
    wait_for(lambda: state()["status"] == "delivered", 20, "its status report")
    seen = state()
    assert seen["to"] == TO and seen["channel"] == "sim" and seen["parts"] == 1
    assert seen["queued_at"] <= seen["sent_at"] <= seen["delivered_at"] and seen["error"] is None
    [entry] = audit.entries(engine, action="message-queued")
    assert entry.actor == "operator1" and str(made["id"]) in entry.detail
    listed = json.loads(smsgw(cfg_file, "token", "list", "--json"))
    assert listed[0]["user"] == "operator1" and listed[0]["last_used_at"] is not None
    assert token not in json.dumps(listed)


def test_a_revoked_token_is_refused_and_the_users_page_token_still_works(
    console: str, cfg_file: Path, engine: Engine
) -> None:
    token = cli_token(cfg_file, "operator1")
    other = cli_token(cfg_file, "operator1")
    assert call(console, "GET", "/api/v1/", token)[0] == 200
    first_id = json.loads(smsgw(cfg_file, "token", "list", "--json"))[0]["id"]
    assert "revoked" in smsgw(cfg_file, "token", "revoke", str(first_id))
    assert call(console, "GET", "/api/v1/", token) == (401, {"error": "the token is not valid"})
    assert call(console, "GET", "/api/v1/", other)[0] == 200  # its sibling is untouched
    [old] = [a for a in users.all_users(engine) if a.username == "operator1"]
    assert call(console, "GET", "/api/v1/", users.new_api_token(engine, old.id))[0] == 200
    actions = [e.action for e in audit.entries(engine, actor="cli")]
    assert actions.count("token-added") == 2 and actions.count("token-revoked") == 1


def test_a_viewer_cannot_send_and_sees_numbers_masked(
    console: str, cfg_file: Path, engine: Engine
) -> None:
    viewer, operator = cli_token(cfg_file, "viewer1"), cli_token(cfg_file, "operator1")
    body = {"to": TO, "text": "hello"}
    status, reply = call(console, "POST", "/api/v1/messages", viewer, body)
    assert status == 403 and "operator" in reply["error"]
    for wrong in (
        {"to": "12", "text": "x"},
        {"to": TO, "text": "  "},
        {**body, "priority": "asap"},
    ):
        status, reply = call(console, "POST", "/api/v1/messages", operator, wrong)
        assert status == 400 and reply["error"], wrong
    status, made = call(console, "POST", "/api/v1/messages", operator, body)
    assert status == 201
    assert call(console, "GET", f"/api/v1/messages/{made['id']}", viewer)[1]["to"] == mask(TO)
    assert call(console, "GET", "/api/v1/messages/999999", viewer)[0] == 404


def test_the_inbox_since_a_time_oldest_first_masked_for_viewers(
    console: str, cfg_file: Path, engine: Engine
) -> None:
    now = utcnow().replace(microsecond=0)
    rows = [
        ("+447700900501", "old news", now - timedelta(hours=2)),
        ("+447700900502", "Grey L200 at Stanhoe", now - timedelta(minutes=5)),
        ("+447700900503", "and a quad bike", now - timedelta(minutes=1)),
    ]
    with engine.begin() as conn:
        for sender, text, at in rows:
            conn.execute(
                insert(InboundMessage).values(
                    sender=sender, text=text, sc_timestamp=at, received_at=at, complete=True
                )
            )
    operator, viewer = cli_token(cfg_file, "operator1"), cli_token(cfg_file, "viewer1")
    since = (now - timedelta(minutes=10)).isoformat() + "Z"
    status, reply = call(console, "GET", f"/api/v1/inbox?since={since}", operator)
    assert status == 200 and reply["count"] == 2
    assert [m["from"] for m in reply["messages"]] == ["+447700900502", "+447700900503"]
    assert reply["messages"][0]["received_at"] == (now - timedelta(minutes=5)).isoformat() + "Z"
    _, seen = call(console, "GET", f"/api/v1/inbox?since={since}&limit=1", viewer)
    assert seen["messages"][0]["from"] == mask("+447700900502") and seen["count"] == 1
    assert call(console, "GET", "/api/v1/inbox?since=yesterday", viewer)[0] == 400
