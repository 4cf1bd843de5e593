"""What a command loads: `smsgw send`, `status` and `inbox` run often, from scripts and
on a Pi, so they load neither the console nor the scheduler, Alembic nor the emulator."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import Engine

from gateway import cli

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
