"""`smsgw demo` as a newcomer runs it: one process, an emulated modem, a console."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from procs import SMSGW, wait_for

pytestmark = pytest.mark.slow


def test_the_demo_runs_the_whole_system(tmp_path: Path) -> None:
    demo = subprocess.Popen(
        [*SMSGW, "demo", "--port", "0", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert demo.stdout is not None
    try:
        url = ""
        for _ in range(200):
            line = demo.stdout.readline()
            found = re.search(r"console: (http://127\.0\.0\.1:\d+)", line)
            if found:
                url = found.group(1)
                break
        assert url, "the demo printed no console URL"
        with urllib.request.urlopen(url + "/login", timeout=10) as page:
            assert page.status == 200 and "Sign in" in page.read().decode()
        config = tmp_path / "demo" / "config.toml"
        (tmp_path / "demo" / "inject" / "t.json").write_text(
            json.dumps({"from": "+447700900777", "text": "test sighting at Docking"})
        )

        def answer(command: str) -> Any:
            out = subprocess.run(
                [*SMSGW, command, "--config", str(config), "--json"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
            return json.loads(out or "null")

        def inbox_has_it() -> bool:
            return any(r["text"] == "test sighting at Docking" for r in answer("inbox") or [])

        wait_for(inbox_has_it, 20, "the injected text in the inbox")
        filed = answer("sightings")
        assert any(s["text"] == "test sighting at Docking" for s in filed)
        status = answer("status")
        assert [(m["name"], m["state"]) for m in status["modems"]] == [("emulated1", "ready")]
        assert [a["ref"] for a in status["alerts"]] == ["A1001"]  # something on every page
        assert status["on_duty"]["primary"]["name"] == "PC Demo Day"

        def visits() -> Any:
            out = subprocess.run(
                [*SMSGW, "patrols", "visits", "--config", str(config), "--json"],
                capture_output=True,
                text=True,
                timeout=30,
            ).stdout
            return json.loads(out or "[]")

        wait_for(lambda: bool(visits()), 20, "the demo officer's check-in")
        [visit] = visits()
        assert (visit["code"], visit["officer"]) == ("GATE1", "PC Demo Day")
        assert visit["registrations"] == ["KX19 ABC"] and visit["sightings"]  # the demo's first
    finally:
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        demo.stdout.close()
