"""The udev rules parse as udev reads them and name modems the way the config expects.

(udev 252 on Debian 12 has no `udevadm verify`; this checks each rule's keys and
operators against udev's grammar, which is what a typo would break.)
"""

from __future__ import annotations

import re
from pathlib import Path

RULES = Path(__file__).parent.parent / "hardware" / "udev" / "99-smsgw-modems.rules"
PAIR = re.compile(r'\s*([A-Z_]+(?:\{[^}]+\})?)\s*(==|!=|\+=|-=|:=|=)\s*"([^"]*)"\s*(?:,|$)')
MATCH_KEYS = {"SUBSYSTEM", "SUBSYSTEMS", "KERNELS", "ATTRS", "ENV"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "ENV", "IMPORT", "GOTO", "LABEL"}


def parse(line: str) -> list[tuple[str, str, str]]:
    pairs, at = [], 0
    while at < len(line):
        found = PAIR.match(line, at)
        assert found, f"cannot parse {line[at:]!r} in {line!r}"
        pairs.append(found.groups())
        at = found.end()
    return pairs


def rules(text: str) -> list[list[tuple[str, str, str]]]:
    return [parse(line) for line in text.splitlines() if line.strip() and line[0] != "#"]


def problems(rule: list[tuple[str, str, str]]) -> list[str]:
    found = []
    for key, op, _value in rule:
        name = key.split("{")[0]
        matching = op in ("==", "!=")
        if name not in (MATCH_KEYS if matching else ASSIGN_KEYS):
            found.append(f"{key} cannot be {'matched' if matching else 'assigned'}")
    return found


def test_every_rule_parses_with_known_keys_and_operators() -> None:
    for rule in rules(RULES.read_text()):
        assert problems(rule) == []


def test_each_modem_rule_gives_a_stable_name_to_dialout_and_hides_it_from_modemmanager() -> None:
    linked = [r for r in rules(RULES.read_text()) if any(k == "SYMLINK" for k, _, _ in r)]
    assert len(linked) >= 3
    for rule in linked:
        found = {k: v for k, _, v in rule}
        assert re.fullmatch(r"gsm-modem\d", found["SYMLINK"])
        assert found["GROUP"] == "dialout" and found["MODE"] == "0660"
        assert "ATTRS{idVendor}" in found and "ATTRS{idProduct}" in found
    # The commented examples are rules too, once uncommented.
    examples = [line[2:] for line in RULES.read_text().splitlines() if line.startswith("# SUB")]
    assert examples and all(rules(line) for line in examples)


def test_a_broken_rule_is_caught() -> None:
    [rule] = rules('SUBSYSTEMS=="usb", ATTRS{idVendor}="12d1", SYMLINK+="gsm-modem0"')
    assert problems(rule) == ["ATTRS{idVendor} cannot be assigned"]
