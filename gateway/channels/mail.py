"""An alert by email: the message itself, and the SMTP connection it goes over.

Every email says which alert it is, why the person gets it (the list they joined) and how
to leave: a link in the body and RFC 8058's one-click `List-Unsubscribe` headers, which
mail providers show as an "unsubscribe" button and which large ones require of bulk
senders. The alert's text goes only in the body; the subject takes its start with every
line break and control character removed, so no text can add a header.

One SMTP connection is kept open between sends (an alert to a list is hundreds of emails)
and opened again when the server has dropped it. Errors keep the server's reply code: a
5xx is permanent (550: no such mailbox), a 4xx waits and goes again, and a server that
cannot be reached, refuses our login or offers no STARTTLS pauses the channel.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from gateway.channels.base import ProviderError
from gateway.core.config import EmailConfig
from gateway.subscribers.emails import InvalidEmail, clean_email

log = logging.getLogger(__name__)

SUBJECT_TEXT = 60  # characters of the alert's text in the subject
TIMEOUT = 30.0  # seconds for the connection and for each reply
CHECK_AFTER = 5.0  # seconds idle after which a kept connection is checked (NOOP) first
SERVICE_PAUSE = 60.0  # seconds the channel waits after the server failed (not a message)
LOGIN_PAUSE = 300.0  # after a refused login: someone must fix the password
SERVICE_CODES = (421, 530, 534, 535, 538)  # closing; authentication required or refused
SPACES = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def leave_url(public_url: str, token: str) -> str:
    """The subscriber's own leave link (web/leave.py answers it, no login needed)."""
    return f"{public_url.rstrip('/')}/leave/{token}"


def one_line(text: str) -> str:
    """Text fit for a header: every run of spaces, line breaks and controls is one space."""
    return SPACES.sub(" ", text).strip()


def subject(alert_ref: str, text: str) -> str:
    start = one_line(text)
    if len(start) > SUBJECT_TEXT:
        cut = start[:SUBJECT_TEXT]
        start = (cut.rsplit(" ", 1)[0] if " " in cut[20:] else cut).rstrip(" ,.;:") + "..."
    return f"Alert {one_line(alert_ref)}: {start}"


def compose(
    *,
    to: str,
    text: str,
    sender: str,
    alert_ref: str,
    list_name: str,
    leave_url: str,
    text_to: str = "",
) -> EmailMessage:
    """The email for one recipient. Raises ProviderError (permanent, code "address") for
    an address that is not one clean address: it could add recipients or headers."""
    try:
        address = clean_email(to)
    except InvalidEmail as exc:
        raise ProviderError(str(exc), code="address", permanent=True) from None
    if one_line(leave_url) != leave_url or any(c in leave_url for c in ' <>"'):
        raise ValueError(f"not a usable leave link: {leave_url!r}")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = address
    msg["Subject"] = subject(alert_ref, text)
    msg["Date"] = format_datetime(datetime.now(UTC))
    msg["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2] or None)
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    msg["List-Unsubscribe"] = f"<{leave_url}>"
    if leave_url.startswith("https://"):  # RFC 8058's one click is for HTTPS links only
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    body = (
        f"{text.rstrip()}\n\n"
        "-- \n"
        f"Alert {one_line(alert_ref)}.\n"
        f"You get this because you joined {one_line(list_name)}.\n"
        f"To stop these emails: {leave_url}\n"
    )
    if text_to:  # the gateway's number: STOP EMAIL by text works without the console
        body += f"Or text STOP EMAIL to {one_line(text_to)}.\n"
    msg.set_content(body)
    return msg


class SmtpSender:
    """Sends over one kept SMTP connection: STARTTLS when `starttls` (never falling back
    to plain text), a login when `username` is set. One thread uses it (the email worker)."""

    def __init__(
        self, config: EmailConfig, password: str, *, check_after: float = CHECK_AFTER
    ) -> None:
        self.config = config
        self.password = password
        self.check_after = check_after
        self._smtp: smtplib.SMTP | None = None
        self._used = 0.0

    def send(self, message: EmailMessage) -> str:
        """Hand the message to the server; its Message-ID. Raises ProviderError."""
        smtp = self._connection()
        try:
            smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:  # one recipient: that one refused
            self._drop_if_closed(smtp)
            code, reply = next(iter(exc.recipients.values()), (0, b""))
            raise _refused(code, reply, "refused the address") from None
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as exc:
            self._drop_if_closed(smtp)
            raise _refused(exc.smtp_code, exc.smtp_error, "refused the message") from None
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _unreachable(self.config, exc) from None
        self._used = time.monotonic()
        return str(message["Message-ID"] or "")

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def _connection(self) -> smtplib.SMTP:
        if self._smtp is not None and time.monotonic() - self._used >= self.check_after:
            try:
                alive = self._smtp.noop()[0] == 250
            except (smtplib.SMTPException, OSError):
                alive = False
            if not alive:
                log.info("the mail server %s closed the connection; opening it again", _at(self))
                self.close()
        if self._smtp is None:
            self._smtp = self._open()
        return self._smtp

    def _open(self) -> smtplib.SMTP:
        c = self.config
        try:
            smtp = smtplib.SMTP(c.host, c.port, timeout=TIMEOUT)
        except (smtplib.SMTPException, OSError) as exc:
            raise _unreachable(c, exc) from None
        try:
            smtp.ehlo()
            if c.starttls:
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if c.username:
                smtp.login(c.username, self.password)
        except smtplib.SMTPNotSupportedError:
            smtp.close()
            raise ProviderError(
                f"the mail server {_at(self)} offers no STARTTLS (set starttls = false only "
                "for a server on this machine)",
                service=True,
                retry_after=LOGIN_PAUSE,
            ) from None
        except smtplib.SMTPAuthenticationError as exc:
            smtp.close()
            raise ProviderError(
                f"the mail server {_at(self)} refused the login of {c.username!r}: "
                f"{_text(exc.smtp_error)}",
                code=exc.smtp_code,
                service=True,
                retry_after=LOGIN_PAUSE,
            ) from None
        except (smtplib.SMTPException, OSError) as exc:
            smtp.close()
            raise _unreachable(c, exc) from None
        self._used = time.monotonic()
        return smtp

    def _drop_if_closed(self, smtp: smtplib.SMTP) -> None:
        """smtplib closes the socket itself on a 421 (the server is going away)."""
        if getattr(smtp, "sock", None) is None:
            self._smtp = None


def _refused(code: int, reply: bytes | str, what: str) -> ProviderError:
    """A reply to this message: 5xx permanent, 4xx goes again later. 421 (closing) and
    the replies about our login are the server's or the config's, not the message's."""
    text = f"the mail server {what}: {code} {_text(reply)}".rstrip()
    if code in SERVICE_CODES:
        return ProviderError(text, code=code, service=True, retry_after=SERVICE_PAUSE)
    return ProviderError(text, code=code, permanent=500 <= code < 600)


def _unreachable(config: EmailConfig, exc: BaseException) -> ProviderError:
    """No usable connection: the server's fault, never the message's."""
    code = getattr(exc, "smtp_code", None)
    detail = _text(getattr(exc, "smtp_error", b"")) or str(exc) or type(exc).__name__
    return ProviderError(
        f"cannot send through {config.host}:{config.port}: {detail}",
        code=code if isinstance(code, int) and code > 0 else None,
        service=True,
        retry_after=SERVICE_PAUSE,
    )


def _text(reply: bytes | str) -> str:
    return one_line(reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply)


def _at(sender: SmtpSender) -> str:
    return f"{sender.config.host}:{sender.config.port}"
