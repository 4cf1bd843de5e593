"""An alert's email, written when it goes: the reference, the list, and the subscriber's
own leave link are looked up then, so an email queued before a list was renamed says the
name it has now."""

from __future__ import annotations

from sqlalchemy import Engine, select

from gateway.channels import mail
from gateway.core.config import EmailConfig
from gateway.core.models import Alert, Subscriber, SubscriberList
from gateway.outbox.claims import Claimed

NAME = "email"


class EmailSender:
    name = NAME

    def __init__(
        self, engine: Engine, config: EmailConfig, smtp: mail.SmtpSender, number: str = ""
    ) -> None:
        self.engine = engine
        self.config = config
        self.smtp = smtp
        self.number = number  # the gateway's own, for STOP EMAIL by text

    def hand_over(self, msg: Claimed) -> str:
        with self.engine.connect() as conn:
            ref = conn.scalar(select(Alert.ref).where(Alert.id == msg.alert_id)) or ""
            listed = conn.scalar(
                select(SubscriberList.name).where(SubscriberList.id == msg.list_id)
            )
            token = conn.scalar(
                select(Subscriber.email_token)
                .where(Subscriber.email == msg.to.lower())  # stored lower-case: the index
                .where(Subscriber.email_token.is_not(None))
                .limit(1)
            )
        message = mail.compose(
            to=msg.to,
            text=msg.text,
            sender=self.config.sender,
            alert_ref=ref,
            list_name=listed or "an alert list",
            leave_url=self._leave(token or "unknown"),
            text_to=self.number,
        )
        self.smtp.send(message)
        return str(message["Message-ID"] or "")

    def _leave(self, token: str) -> str:
        """The one-click page when the console is public; else a mail to the sender
        asking to leave (a person acts on it), beside STOP EMAIL by text."""
        if self.config.public_url:
            return mail.leave_url(self.config.public_url, token)
        return f"mailto:{self.config.sender}?subject=STOP%20EMAIL%20{token}"

    def close(self) -> None:
        self.smtp.close()
