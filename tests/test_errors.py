"""One base for the gateway's own errors: a caller catches GatewayError to show the
message; the errors that were ValueErrors still are."""

from __future__ import annotations

import pytest

from gateway.alerts.compose import NoText, TimePassed
from gateway.alerts.cost import PreviewError
from gateway.alerts.service import AlertError
from gateway.alerts.templates import TemplateError
from gateway.app.reports import ReportError
from gateway.core.backup import BackupError
from gateway.core.clock import BadTime
from gateway.core.config import ConfigError
from gateway.core.errors import GatewayError
from gateway.core.phone import InvalidNumber
from gateway.core.users import UserError
from gateway.outbox.queue import UnknownPriority
from gateway.rota.cover import CoverageError
from gateway.rota.service import RotaError
from gateway.subscribers.badge import BadgeError
from gateway.subscribers.csv_io import ImportConflict
from gateway.subscribers.csv_rows import CsvError
from gateway.subscribers.service import SubscriberError
from hardware.errors import ModemError

VALUE_ERRORS = [
    AlertError,
    BadgeError,
    BadTime,
    CoverageError,
    CsvError,
    InvalidNumber,
    NoText,
    PreviewError,
    ReportError,
    RotaError,
    SubscriberError,
    TemplateError,
    TimePassed,
    UnknownPriority,
    UserError,
]


@pytest.mark.parametrize("error", [*VALUE_ERRORS, BackupError, ConfigError, ImportConflict])
def test_every_domain_error_is_a_gateway_error(error: type[Exception]) -> None:
    assert issubclass(error, GatewayError)


@pytest.mark.parametrize("error", VALUE_ERRORS)
def test_a_domain_error_that_was_a_value_error_still_is(error: type[Exception]) -> None:
    assert issubclass(error, ValueError)
    assert issubclass(ImportConflict, RuntimeError)  # and the import's conflict a RuntimeError


def test_hardware_errors_stay_hardwares() -> None:
    assert not issubclass(ModemError, GatewayError)
