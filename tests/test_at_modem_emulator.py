"""AtModem against the real emulator (hardware/emulator/) on a real pseudo-terminal."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from hardware.at.commands import Timeouts
from hardware.at.modem import AtModem
from hardware.emulator import Emulator
from hardware.errors import PinRefused, PortLost
from hardware.modem import ModemEvent
from hardware.pdu import decode_deliver, decode_status_report

TO = "+447700900123"
SENDER = "+447700900555"
FAST = Timeouts(default=2.0, sync=0.5, prompt=2.0, cmgs=2.0, service_centre=1.0)


class Events:
    def __init__(self) -> None:
        self.seen: list[ModemEvent] = []
        self._cond = threading.Condition()

    def __call__(self, event: ModemEvent) -> None:
        with self._cond:
            self.seen.append(event)
            self._cond.notify_all()

    def wait(self, kind: str, count: int = 1, timeout: float = 3.0) -> list[ModemEvent]:
        with self._cond:
            self._cond.wait_for(lambda: len(self.of(kind)) >= count, timeout)
            found = self.of(kind)
        assert len(found) >= count, f"wanted {count} {kind} events, got {self.seen}"
        return found

    def of(self, kind: str) -> list[ModemEvent]:
        return [e for e in self.seen if e.kind == kind]


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emu = Emulator()
    emu.start()
    yield emu
    emu.stop()


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def modem(emulator: Emulator, events: Events) -> Iterator[AtModem]:
    m = AtModem("emu", emulator.device, timeouts=FAST, registration_timeout=2.0)
    m.set_event_handler(events)
    m.open()
    yield m
    m.close()


def test_it_identifies_the_emulated_modem(modem: AtModem) -> None:
    identity = modem.identity()
    assert (identity.manufacturer, identity.model) == ("smsgw", "SMSGW-EMU")
    assert identity.imei == "356938035643809"
    state = modem.network()
    assert state.registered and state.operator == "EE" and state.sim == "ready"


def test_a_short_message_reaches_the_network_as_one_part(
    modem: AtModem, emulator: Emulator
) -> None:
    sent = modem.send(TO, "Stag seen near Glen Lodge")
    assert len(sent.references) == 1
    (part,) = emulator.sent
    assert (part.to, part.text, part.encoding, part.concat) == (
        TO,
        "Stag seen near Glen Lodge",
        "gsm7",
        None,
    )
    assert part.message_ref == sent.references[0]


def test_a_long_message_goes_as_concatenated_parts(modem: AtModem, emulator: Emulator) -> None:
    text = "Flood warning for the lower fields, move stock to higher ground. " * 4
    sent = modem.send(TO, text)
    parts = emulator.sent
    assert len(parts) == len(sent.references) == 2
    assert "".join(p.text for p in parts) == text
    assert {p.ref for p in parts} == {parts[0].ref} and parts[0].ref is not None
    assert [(p.part, p.parts) for p in parts] == [(1, 2), (2, 2)]
    assert [p.message_ref for p in parts] == list(sent.references)


def test_the_send_hooks_run_once_around_the_first_parts_body(
    modem: AtModem, emulator: Emulator
) -> None:
    """The worker finishes the last message's outcome in `before_body`, while the modem
    answers with its prompt, when nothing of this message may have reached the network;
    it claims the next in `in_flight`, once the body is on its way."""
    calls: list[tuple[str, int]] = []
    sent = modem.send(
        TO,
        "Lamping reported " * 12,
        before_body=lambda: calls.append(("before", len(emulator.sent))),
        in_flight=lambda: calls.append(("in flight", 0)),
    )
    assert calls == [("before", 0), ("in flight", 0)]  # once each, for two parts
    assert len(emulator.sent) == len(sent.references) == 2


def test_a_failing_in_flight_hook_costs_nothing_the_message_has_gone(
    modem: AtModem, emulator: Emulator
) -> None:
    def broken() -> None:
        raise RuntimeError("the next claim failed")

    sent = modem.send(TO, "Stag seen near Glen Lodge", in_flight=broken)
    assert [p.message_ref for p in emulator.sent] == list(sent.references)


class Outranked(Exception):
    pass


def test_a_message_abandoned_before_its_body_never_goes_and_the_next_does(
    modem: AtModem, emulator: Emulator
) -> None:
    def refuse() -> None:
        raise Outranked

    with pytest.raises(Outranked):
        modem.send(TO, "Broadcast to give way", before_body=refuse)
    assert emulator.sent == []
    modem.send(TO, "Duty forward first")  # the modem left its prompt: the next goes
    assert [p.text for p in emulator.sent] == ["Duty forward first"]


def test_a_ucs2_message_keeps_every_character(modem: AtModem, emulator: Emulator) -> None:
    text = "Cerbyd ger Llŷn – ffoniwch 999 ☎"
    modem.send(TO, text)
    (part,) = emulator.sent
    assert (part.text, part.encoding) == (text, "ucs2")


def test_two_long_messages_use_different_concatenation_references(
    modem: AtModem, emulator: Emulator
) -> None:
    modem.send(TO, "a" * 200)
    modem.send(TO, "b" * 200)
    refs = [p.ref for p in emulator.sent]
    assert refs[0] == refs[1] != refs[2] == refs[3]


def test_a_status_report_arrives_as_an_event(
    modem: AtModem, emulator: Emulator, events: Events
) -> None:
    sent = modem.send(TO, "Gate left open at Hill Farm", status_report=True)
    (event,) = events.wait("status-report")
    report = decode_status_report(event.pdu)
    assert report.message_ref == sent.references[0]
    assert report.recipient == TO and report.delivered


def test_an_inbound_message_is_announced_read_decoded_and_deleted(
    modem: AtModem, emulator: Emulator, events: Events
) -> None:
    emulator.inject(SENDER, "Two men with lamps on Long Moor, white pickup")
    (event,) = events.wait("message")
    assert event.index is not None and event.storage == "SM"
    stored = modem.read_stored(event.index)
    assert stored is not None
    deliver = decode_deliver(stored.pdu)
    assert (deliver.sender, deliver.text) == (
        SENDER,
        "Two men with lamps on Long Moor, white pickup",
    )
    modem.delete_stored(event.index)
    assert modem.read_stored(event.index) is None
    assert modem.list_stored() == []


def test_a_long_inbound_message_is_listed_part_by_part(
    modem: AtModem, emulator: Emulator, events: Events
) -> None:
    text = "Sighting: " + "red van KX19 ABC heading north on the B6265, " * 5
    indices = emulator.inject(SENDER, text)
    events.wait("message", count=len(indices))
    stored = modem.list_stored()
    assert sorted(s.index for s in stored) == sorted(indices)
    parts = [decode_deliver(s.pdu) for s in stored]
    parts.sort(key=lambda d: d.concat.part if d.concat else 0)
    assert "".join(p.text for p in parts) == text


def test_a_cmti_inside_an_answer_still_becomes_an_event(
    modem: AtModem, emulator: Emulator, events: Events
) -> None:
    emulator.urc_in_answer = True
    emulator.inject(SENDER, "Fox at the pens")
    stored = modem.list_stored()  # the held +CMTI comes out inside this answer
    assert [decode_deliver(s.pdu).text for s in stored] == ["Fox at the pens"]
    (event,) = events.wait("message")
    assert event.index == stored[0].index


def test_sends_follow_each_other_in_order(modem: AtModem, emulator: Emulator) -> None:
    """How fast is `make bench`'s `micro` row (the driver's own time per send)."""
    count = 100
    for i in range(count):
        modem.send(TO, f"Alert {i}: keep gates shut")
    assert [p.text for p in emulator.sent] == [f"Alert {i}: keep gates shut" for i in range(count)]


def test_the_emulator_going_away_is_a_port_lost_event(
    modem: AtModem, emulator: Emulator, events: Events
) -> None:
    emulator.stop()
    events.wait("port-lost")
    with pytest.raises(PortLost):
        modem.send(TO, "anyone there?")


def test_a_pin_is_entered_once_and_a_wrong_one_never_again(events: Events) -> None:
    emu = Emulator(pin="4321")
    emu.start()
    try:
        good = AtModem("emu", emu.device, pin="4321", timeouts=FAST)
        good.open()
        good.close()
        wrong = AtModem("emu", emu.device, pin="1111", timeouts=FAST)
        emu.context.sim.unlocked = False  # as after a power cycle
        for _ in range(3):
            with pytest.raises(PinRefused):
                wrong.open()
        assert emu.context.sim.attempts_left == 2  # one try spent, two left for a person
    finally:
        emu.stop()
