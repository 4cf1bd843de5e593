"""What a command loads: `smsgw send`, `status` and `inbox` run often, from scripts and
on a Pi, so they load neither the console nor the scheduler, Alembic nor the emulator; and
`smsgw run` at rest holds only what the daemon and the console's pages need (issue 20)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from procs import start_emulator, stop, wait_for
from sqlalchemy import Engine

from gateway import cli
from gateway.modems import status as modem_status

# What only the console, the daemon, an upgrade or the emulator needs.
HEAVY = ("flask", "werkzeug", "jinja2", "waitress", "alembic", "apscheduler", "hardware.emulator")

# Runs one command as `smsgw` would, then prints which of HEAVY it had imported.
PROBE = """
import json, sys
from gateway.cli import main
try:
    main(sys.argv[1:])
finally:
    loaded = sorted(m for m in json.loads({heavy!r}) if m in sys.modules)
    print(json.dumps(loaded), file=sys.stderr)
"""


def loaded_by(*args: str) -> list[str]:
    """The HEAVY modules a fresh interpreter holds after running `smsgw ARGS`."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=json.dumps(HEAVY)), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    found: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return found


@pytest.mark.parametrize(
    "command",
    [
        ["send", "--to", "07700 900123", "--text", "Gate left open at Hill Farm"],
        ["status"],
        ["status", "--json"],
        ["inbox", "--json"],
    ],
    ids=["send", "status", "status-json", "inbox"],
)
def test_everyday_commands_load_no_console_scheduler_alembic_or_emulator(
    command: list[str], tmp_path: Path, db_url: str, engine: Engine
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\nurl = "{db_url}"\n')  # `engine` migrated it
    assert loaded_by(*command, "--config", str(config)) == []


def test_help_loads_no_command_and_no_database() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys\nfrom gateway.cli import main\ntry:\n    main(['--help'])\n"
            "finally:\n    print(sorted(m for m in sys.modules if m.startswith(('gateway.',"
            " 'sqlalchemy'))), file=sys.stderr)",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "send" in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "['gateway.cli']"


def test_every_command_names_a_handler_that_exists() -> None:
    def parsers(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
        found = [parser]
        for action in parser._actions:  # argparse keeps subparsers only here
            if isinstance(action, argparse._SubParsersAction):
                for child in action.choices.values():
                    found.extend(parsers(child))
        return found

    specs = {p.get_default("handler") for p in parsers(cli.build_parser())} - {None}
    assert len(specs) > 20
    for spec in specs:
        assert callable(cli.handler_for(spec)), spec


# What `smsgw run` loads only when asked: an upgrade (done before it starts, as the unit's
# ExecStartPre does), a workbook, a badge, a scrape, a CAP document, a webhook or a
# Twilio callback; the emulator never.
AT_REST = (
    "alembic",
    "openpyxl",
    "segno",
    "prometheus_client",
    "xml.etree.ElementTree",
    "gateway.jobs.webhooks",
    "gateway.channels.twilio",
    "hardware.emulator",
)

# `smsgw run`, printing which of AT_REST it holds when sent SIGUSR1.
RUN_PROBE = """
import json, signal, sys
from gateway.cli import main

def report(*_):
    held = sorted(m for m in json.loads({names!r}) if m in sys.modules)
    print(json.dumps(held), file=sys.stderr, flush=True)

signal.signal(signal.SIGUSR1, report)
raise SystemExit(main(sys.argv[1:]))
"""


def test_run_at_rest_holds_nothing_only_a_request_or_an_upgrade_needs(
    tmp_path: Path, db_url: str, engine: Engine
) -> None:
    link, err = tmp_path / "modem", tmp_path / "run.err"
    config = tmp_path / "config.toml"  # `engine` migrated the database, as ExecStartPre does
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[modem]]\nname = "m1"\ndriver = "at"\n'
        f'port = "{link}"\n\n[web]\nlisten = "127.0.0.1:0"\n'
    )
    emulator = start_emulator(link, tmp_path / "sent.jsonl")
    probe = RUN_PROBE.format(names=json.dumps(AT_REST))
    with err.open("w") as err_file:
        gateway = subprocess.Popen(
            [sys.executable, "-c", probe, "run", "--config", str(config)],
            stdout=subprocess.PIPE,
            stderr=err_file,
            text=True,
        )
    try:
        assert gateway.stdout is not None
        url = gateway.stdout.readline().strip().removeprefix("console on ")
        wait_for(
            lambda: any(m.state == "ready" for m in modem_status.all_modems(engine)),
            30,
            "the modem to be ready",
        )
        with urllib.request.urlopen(f"{url}/login", timeout=10) as page:
            assert page.status == 200
        os.kill(gateway.pid, signal.SIGUSR1)

        def reported() -> list[str] | None:
            lines = [x for x in err.read_text().splitlines() if x.startswith("[")]
            return json.loads(lines[-1]) if lines else None

        wait_for(lambda: reported() is not None, 10, "the list of modules")
        assert reported() == []
    finally:
        stop(gateway)
        stop(emulator)
