"""The one base for the gateway's own errors: a request that cannot be done as asked,
with a message a person can act on.

Every command, page and API call can catch `GatewayError` to show that message (the
CLI prints one line and exits 2; the console shows it on the form; the API answers 400)
and let anything else, a bug, reach the log with its traceback. Errors that were
ValueErrors stay ValueErrors too, so an `except ValueError` written earlier still works.
Hardware's errors (`hardware.errors.ModemError`) are not domain errors and stay apart.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Something asked of the gateway that it cannot do; the text says why."""
