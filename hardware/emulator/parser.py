"""Splits one AT command line into the commands it chains (V.250 section 5.2).

`ATE0V1` chains two basic commands with no separator; `AT+CMGF=0;+CNMI=2,1` chains
extended ones with `;`. A `;` inside a quoted string (a number, a PIN) is not a separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Form = Literal["exec", "set", "read", "test"]

# A basic command: one letter (or & and a letter) and an optional number, e.g. E0, &F, Z.
# S-registers (S0=0, S7?) take a value or a question mark.
_BASIC = re.compile(r"(S\d+(?:=\d*|\?)|&?[A-Z]\d*)", re.IGNORECASE)
_EXT_NAME = re.compile(r"[+^$%#*][A-Z0-9!%\-./:_]+", re.IGNORECASE)


class LineSyntaxError(ValueError):
    """The line is not an AT command line at all: the modem answers ERROR."""


@dataclass(frozen=True)
class Command:
    name: str  # upper case: "+CMGS", "E", "&F", "S0"
    form: Form
    args: str = ""  # the raw text after '=' for the set form, quotes intact

    def params(self) -> list[str]:
        """The comma-separated parameters, surrounding quotes removed."""
        return [p.strip().strip('"') for p in split_outside_quotes(self.args, ",")]

    def int_params(self) -> list[int | None]:
        """Integer parameters; an empty one (`AT+CNMI=2,1,,,`) is None. ValueError if bad."""
        return [int(p) if p else None for p in self.params()]


def split_outside_quotes(text: str, sep: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return parts


def parse_line(line: str) -> list[Command]:
    """The commands of one line, which must start with `AT`. Raises LineSyntaxError."""
    stripped = line.strip()
    if stripped[:2].upper() != "AT":
        raise LineSyntaxError(f"not an AT command: {line!r}")
    rest = stripped[2:]
    commands: list[Command] = []
    while rest:
        if rest[0] == ";":
            rest = rest[1:]
            continue
        if rest[0] in "+^$%#*":
            command, rest = _parse_extended(rest)
        else:
            command, rest = _parse_basic(rest)
        commands.append(command)
    return commands


def _parse_basic(text: str) -> tuple[Command, str]:
    match = _BASIC.match(text)
    if match is None:
        raise LineSyntaxError(f"bad basic command at {text!r}")
    token = match.group(1).upper()
    rest = text[match.end() :]
    if token.startswith("S"):
        reg, _, value = token.partition("=")
        if reg.endswith("?"):
            return Command(reg[:-1], "read"), rest
        return Command(reg, "set", value), rest
    name = token.rstrip("0123456789")
    return Command(name, "exec", token[len(name) :]), rest


def _parse_extended(text: str) -> tuple[Command, str]:
    match = _EXT_NAME.match(text)
    if match is None:
        raise LineSyntaxError(f"bad extended command at {text!r}")
    name = match.group(0).upper()
    body, _, rest = _until_semicolon(text[match.end() :])
    body = body.strip()
    if body == "":
        return Command(name, "exec"), rest
    if body == "?":
        return Command(name, "read"), rest
    if body == "=?":
        return Command(name, "test"), rest
    if body.startswith("="):
        return Command(name, "set", body[1:]), rest
    raise LineSyntaxError(f"bad extended command {name}{body!r}")


def _until_semicolon(text: str) -> tuple[str, str, str]:
    quoted = False
    for i, ch in enumerate(text):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            return text[:i], ";", text[i + 1 :]
    if quoted:
        raise LineSyntaxError(f"unterminated quote in {text!r}")
    return text, "", ""
