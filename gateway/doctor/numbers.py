"""Doctor's look at the numbers the gateway texts by itself: each one left empty means
something goes unreported, and nobody notices until the night it matters.

The config loader already refuses a number that is not a possible one (naming the key),
so what is left to say here is which are empty and what that costs.
"""

from __future__ import annotations

from gateway.core.config import NUMBER_KEYS, Config
from gateway.doctor.check import Check, ok, warn

# key -> (check name, what goes unreported while the key is empty)
UNREPORTED = {
    "gateway.admin_number": (
        "admin number",
        "nobody is texted when a modem is rested after failing sends",
    ),
    "gateway.number": (
        "gateway number",
        "join badges (`smsgw qr`) cannot be made: they carry the gateway's own number",
    ),
    "rota.fallback_number": (
        "desk number",
        "no desk: a sighting during a gap in the rota, or one nobody on duty acknowledged, "
        "reaches nobody",
    ),
    "rota.admin_number": (
        "rota admin number",
        "nobody is warned before a gap in the rota",
    ),
}


def number_checks(config: Config) -> list[Check]:
    """One line per number: ok with the number, or a warning saying what goes unreported."""
    found = []
    for section, key in NUMBER_KEYS:
        name = f"{section}.{key}"
        title, unreported = UNREPORTED[name]
        value = getattr(getattr(config, section), key)
        if value:
            found.append(ok(title, f"{name} {value}"))
        else:
            found.append(
                warn(
                    title,
                    f"{name} is empty: {unreported}",
                    f'set {name} in {config.path}, for example "+447700900123"',
                )
            )
    return found
