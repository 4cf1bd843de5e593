from __future__ import annotations

import os
from pathlib import Path

import pytest

from gateway.modems import health
from hardware.modem import NetworkState


@pytest.mark.parametrize(
    ("net", "state"),
    [
        (NetworkState("home", "EE", 20), "ready"),
        (NetworkState("roaming", "O2", 12), "ready"),
        (NetworkState("home", "EE", 20, sim="no-sim"), "no-sim"),
        (NetworkState("unknown", "", 20, sim="pin-required"), "pin-required"),
        (NetworkState("unknown", "", 20, sim="pin-refused"), "pin-refused"),
        (NetworkState("unknown", "", 20, sim="puk-required"), "pin-refused"),
        (NetworkState("searching", "", 15), "not-registered"),
        (NetworkState("denied", "", 15), "not-registered"),
        (NetworkState("searching", "", None), "no-signal"),
        (NetworkState("home", "EE", 0), "no-signal"),
    ],
)
def test_the_operator_reads_a_plain_state(net: NetworkState, state: str) -> None:
    found, advice = health.state_of(net)
    assert found == state
    assert (advice == "") == (state == "ready")


def test_an_unknown_registration_with_a_signal_is_tried() -> None:
    """libgammu cannot tell on a modem without AT+CGATT: send and let a refusal retry."""
    assert health.state_of(NetworkState("unknown", "", 20))[0] == "ready"
    assert health.state_of(NetworkState("unknown", "", None))[0] == "ready"
    assert health.state_of(NetworkState("unknown", "", 0))[0] == "no-signal"


def test_the_pin_advice_names_the_config_key() -> None:
    assert "modem.pin" in health.state_of(NetworkState("unknown", sim="pin-required"))[1]


def test_candidates_skip_the_lost_port_and_duplicates(tmp_path: Path) -> None:
    for name in ("ttyA", "ttyB"):
        (tmp_path / name).touch()
    os.symlink(tmp_path / "ttyB", tmp_path / "by-id-modem")
    found = health.candidates(
        [str(tmp_path / "by-id-*"), str(tmp_path / "tty*")], exclude=[str(tmp_path / "ttyA")]
    )
    assert found == [str(tmp_path / "by-id-modem")]
