"""Replays a recorded modem session (tests/transcripts/*.txt) as the device on a pty.

Each `>>` line is what the host is expected to write next; the `<<` lines after it are
the modem's answer. Commands must match exactly. An SMS-SUBMIT PDU matches when it
carries the same message (recipient, text, alphabet, status-report request), since
encoders differ in optional fields such as the validity period; the AT+CMGS length is
then checked against the host's own PDU instead of the recorded one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from at_peer import FakeDevice, lines

from hardware.pdu import PduError, decode_submit

TRANSCRIPTS = Path(__file__).parent / "transcripts"


@dataclass
class Step:
    sent: str
    answer: list[str] = field(default_factory=list)


def load(path: Path) -> list[Step]:
    """The steps of a transcript: `>>` starts one, `<<` adds to its answer, `#` comments."""
    steps: list[Step] = []
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        text = raw.rstrip()
        if not text or text.startswith("#"):
            continue
        marker, _, body = text.partition(" ")
        if marker == ">>":
            steps.append(Step(body))
        elif marker == "<<" and steps:
            steps[-1].answer.append(body)
        else:
            raise ValueError(f"{path.name}:{number}: not a '>>' or '<<' line: {raw!r}")
    return steps


class ReplayDevice(FakeDevice):
    """Plays the modem's side of a transcript; `mismatches` lists where the host strayed."""

    def __init__(self, steps: list[Step]) -> None:
        self.steps = deque(steps)
        self.mismatches: list[str] = []
        self._declared: int | None = None
        super().__init__({})

    @property
    def finished(self) -> bool:
        return not self.steps

    def _command(self, command: str) -> None:
        self.commands.append(command)
        self._play(command)

    def _pdu(self, pdu: str) -> None:
        self.pdus.append(pdu)
        self._play(pdu)

    def _play(self, sent: str) -> None:
        if not self.steps:
            self.mismatches.append(f"host sent {sent!r} after the transcript ended")
            self._write(lines("ERROR"))
            return
        step = self.steps.popleft()
        problem = self._compare(step.sent, sent)
        if problem:
            self.mismatches.append(problem)
        for line in step.answer:
            if line == ">":
                self._prompt()
            else:
                self._write(lines(line))

    def _compare(self, expected: str, sent: str) -> str:
        if expected.startswith("AT+CMGS=") and sent.startswith("AT+CMGS="):
            self._declared = int(sent.removeprefix("AT+CMGS=")) if sent[8:].isdigit() else -1
            return ""
        if self._declared is not None:
            declared, self._declared = self._declared, None
            return _compare_submit(expected, sent, declared)
        return "" if expected == sent else f"expected {expected!r}, host sent {sent!r}"


def _compare_submit(expected: str, sent: str, declared: int) -> str:
    try:
        want, got = decode_submit(expected), decode_submit(sent)
        octets = bytes.fromhex(sent)
    except (PduError, ValueError) as exc:
        return f"unreadable SMS-SUBMIT {sent!r}: {exc}"
    if declared != len(octets) - 1 - octets[0]:
        return f"AT+CMGS={declared} does not match the {len(octets)}-octet PDU {sent}"
    fields = ("to", "text", "encoding", "status_report", "concat")
    if [getattr(want, f) for f in fields] != [getattr(got, f) for f in fields]:
        return f"expected a PDU carrying {want}, host sent one carrying {got}"
    return ""
