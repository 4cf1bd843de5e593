"""One finding of `smsgw doctor`, and how it reads on a terminal.

Kept apart from the checks themselves so the modem checks and the system checks can both
build findings without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.core.config import Config, default_path

LABELS = {"ok": "ok", "warn": "warn", "fail": "FAIL"}


@dataclass(frozen=True)
class Check:
    """What one check found. A warning is shown but does not make doctor fail: it is
    something doctor could not decide, not something known to be wrong."""

    name: str
    level: str  # "ok", "warn" or "fail"
    detail: str  # what was found, or what is wrong
    advice: str = ""  # what to do about it

    @property
    def ok(self) -> bool:
        return self.level != "fail"

    def line(self) -> str:
        text = f"{self.detail}: {self.advice}" if self.advice else self.detail
        return f"{LABELS[self.level]:<6}{self.name}: {text}"

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "ok": self.ok,
            "level": self.level,
            "detail": self.detail,
            "advice": self.advice,
        }


def ok(name: str, detail: str) -> Check:
    return Check(name, "ok", detail)


def warn(name: str, detail: str, advice: str = "") -> Check:
    return Check(name, "warn", detail, advice)


def fail(name: str, detail: str, advice: str) -> Check:
    return Check(name, "fail", detail, advice)


def command(config: Config, words: str) -> str:
    """An smsgw command line to paste, naming the config only when it is not the one
    smsgw would find by itself."""
    where = "" if config.path == default_path() else f" --config {config.path}"
    return f"`smsgw {words}{where}`"
