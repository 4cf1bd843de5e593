"""The senders beside the modems, built from the config: a worker per hosted service, and
one for email when `[email] host` is set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import Engine

from gateway.channels.base import Provider
from gateway.channels.worker import ChannelWorker, Gate, ProviderSender
from gateway.core.config import Config, ConfigError, ProviderConfig
from gateway.inbox.store import Inbox, MessageHandler
from gateway.outbox.queue import Outbox


def read_secret(path: str, what: str) -> str:
    """A token or password kept in a file of its own (mode 0600), its one line."""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(f"{what}: cannot read {path}: {exc.strerror}") from None


def provider(settings: ProviderConfig) -> Provider:
    token = read_secret(settings.token_file, f"provider {settings.name}'s token_file")
    if settings.kind == "twilio":
        from gateway.channels.twilio import Twilio

        return Twilio(settings, token)
    from gateway.channels.fastsms import FastSms

    return FastSms(settings, token)


def workers(
    config: Config,
    engine: Engine,
    outbox: Outbox,
    gate: Gate | None,
    inbox: Inbox | None = None,
    handlers: Sequence[MessageHandler] = (),
) -> list[ChannelWorker]:
    heard = 3 * max(config.gateway.health_interval, 10.0)
    made = []
    for settings in config.providers:
        service = provider(settings)
        made.append(
            ChannelWorker(
                ProviderSender(service),
                kind="provider",
                engine=engine,
                outbox=outbox,
                node=config.node,
                use=settings.use,
                max_per_second=settings.max_per_second,
                max_per_day=settings.max_per_day,
                gate=gate,
                provider=service,
                inbox=inbox,
                handlers=handlers,
                heard_within=heard,
                grace=heard / 3 if config.modems else 0.0,
                poll_interval=config.outbox.poll_interval,
                report_window=config.outbox.report_window,
            )
        )
    if config.email.host:
        from gateway.channels import mail
        from gateway.channels.email_sender import EmailSender

        password = ""
        if config.email.password_file:
            password = read_secret(config.email.password_file, "email.password_file")
        smtp = mail.SmtpSender(config.email, password)
        sender = EmailSender(engine, config.email, smtp, config.gateway.number)
        made.append(
            ChannelWorker(
                sender,
                kind="email",
                engine=engine,
                outbox=outbox,
                node=config.node,
                max_per_second=config.email.max_per_second,
                gate=gate,
                poll_interval=config.outbox.poll_interval,
            )
        )
    return made
