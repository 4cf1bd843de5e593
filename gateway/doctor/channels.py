"""`smsgw doctor` on the senders beside the modems: each hosted service's token and what is
left on its account, and the email server's login. Each service is asked once (the credit
check), which sends nothing."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator

from gateway.channels.base import ProviderError
from gateway.channels.build import provider, read_secret
from gateway.core.config import Config, ConfigError, ProviderConfig
from gateway.doctor.check import Check, fail, ok, warn

SMTP_TIMEOUT = 10.0


def channel_checks(config: Config) -> Iterator[Check]:
    for settings in config.providers:
        yield provider_check(settings)
        if settings.kind == "twilio" and settings.callback_url.startswith("http://"):
            yield warn(
                f"provider {settings.name}",
                "callback_url is plain http: Twilio's callbacks carry numbers in the clear",
                "serve the console over https behind a reverse proxy",
            )
    if config.email.host:
        yield email_check(config)


def provider_check(settings: ProviderConfig) -> Check:
    name = f"provider {settings.name}"
    try:
        service = provider(settings)
    except ConfigError as exc:
        return fail(name, str(exc), "create the file with the token on one line, mode 0600")
    try:
        left = service.credits()
    except ProviderError as exc:
        code = f" (code {exc.code})" if exc.code is not None else ""
        return fail(name, f"{settings.kind} at {settings.url} says: {exc}{code}", _fix(exc))
    shown = "does not say what is left" if left is None else f"{left:,.2f} left on the account"
    return ok(name, f"{settings.kind}, use = {settings.use}; {shown}")


def _fix(exc: ProviderError) -> str:
    if exc.service and exc.retry_after and exc.retry_after >= 300:
        return "check token_file (and account) against the service's dashboard"
    return "check url and this machine's connection; the gateway keeps trying meanwhile"


def email_check(config: Config) -> Check:
    email = config.email
    try:
        password = (
            read_secret(email.password_file, "email.password_file") if (email.password_file) else ""
        )
    except ConfigError as exc:
        return fail("email", str(exc), "create the file with the password on one line, mode 0600")
    try:
        with smtplib.SMTP(email.host, email.port, timeout=SMTP_TIMEOUT) as smtp:
            if email.starttls:
                smtp.starttls()
            if email.username:
                smtp.login(email.username, password)
            smtp.noop()
    except (smtplib.SMTPException, OSError) as exc:
        return fail(
            "email",
            f"{email.host}:{email.port}: {exc}",
            "check email.host, port, starttls and the login",
        )
    return ok(
        "email", f"{email.host}:{email.port} answers{' (STARTTLS)' if email.starttls else ''}"
    )
