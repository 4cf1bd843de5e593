"""AtModem replaying recorded modem sessions (tests/transcripts/, see tests/at_replay.py)."""

from __future__ import annotations

import threading

from at_replay import TRANSCRIPTS, ReplayDevice, load

from hardware.at.commands import Timeouts
from hardware.at.modem import AtModem
from hardware.modem import ModemEvent
from hardware.pdu import decode_deliver

FAST = Timeouts(default=1.0, sync=0.3, prompt=1.0, cmgs=1.0, service_centre=0.5)


def test_a_huawei_e3372_session_replays_send_and_receive() -> None:
    device = ReplayDevice(load(TRANSCRIPTS / "huawei-e3372-send-receive.txt"))
    modem = AtModem("e3372", device.path, timeouts=FAST, registration_timeout=1.0)
    events: list[ModemEvent] = []
    arrived = threading.Event()

    def on_event(event: ModemEvent) -> None:
        events.append(event)
        if event.kind == "message":
            arrived.set()

    modem.set_event_handler(on_event)
    try:
        modem.open()
        sent = modem.send("+447700900123", "Deer on the A68 at Carter Bar, drive slowly")
        assert sent.references == (36,)
        assert arrived.wait(2.0), events
        (message,) = [e for e in events if e.kind == "message"]
        assert (message.storage, message.index) == ("SM", 0)
        stored = modem.read_stored(0)
        assert stored is not None and stored.status == 0
        deliver = decode_deliver(stored.pdu)
        assert (deliver.sender, deliver.text) == (
            "+447700900555",
            "Two men with lamps on Long Moor",
        )
        modem.delete_stored(0)
    finally:
        modem.close()
        device.close()
    assert device.mismatches == []
    assert device.finished
    assert [e.kind for e in events] == ["message"]  # the ^HCSQ/^RSSI chatter is not an event


def test_every_transcript_parses() -> None:
    for path in sorted(TRANSCRIPTS.glob("*.txt")):
        steps = load(path)
        assert steps and all(step.sent for step in steps), path.name
