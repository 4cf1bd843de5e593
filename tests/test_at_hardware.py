"""The driver against a real modem: `pytest -m hardware --modem-port /dev/serial/by-id/...`.

Read-only on purpose (no SMS is sent, nothing is deleted), so it is safe on a live SIM.
Without `--modem-port` conftest deselects them: there is no modem to talk to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from hardware.at.modem import AtModem

pytestmark = pytest.mark.hardware


@pytest.fixture(scope="module")  # one AtModem, so a wrong PIN is offered once, not per test
def real_modem(request: pytest.FixtureRequest) -> Iterator[AtModem]:
    port = request.config.getoption("--modem-port")
    modem = AtModem("hardware-test", str(port), pin=os.environ.get("SMSGW_TEST_PIN", ""))
    modem.open()
    yield modem
    modem.close()


def test_a_real_modem_opens_and_identifies_itself(real_modem: AtModem) -> None:
    identity = real_modem.identity()
    assert identity.manufacturer and identity.imei.isdigit()
    state = real_modem.network()
    assert state.sim == "ready" and state.registered


def test_a_real_modem_lists_its_store(real_modem: AtModem) -> None:
    for stored in real_modem.list_stored():
        assert stored.index >= 0 and stored.pdu
