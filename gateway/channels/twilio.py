"""Twilio's Programmable Messaging (api.twilio.com), for numbers the SIMs cannot reach today.

Its REST API lives under `{url}/2010-04-01/Accounts/{Account SID}`, with HTTP Basic auth
(the Account SID and its auth token) and JSON answers; an error is JSON too, carrying
Twilio's own code (21211 an invalid number, 20429 too many requests). Twilio can tell us
a message's fate two ways: we ask (`status`, which works behind NAT), or it posts a
status callback to the console (web/hooks.py), signed with the auth token (`signature`).
Unlike FastSMS it can list the messages it made, so a lost answer is settled by asking
(`find`) rather than by an operator.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Collection, Iterable, Mapping
from datetime import datetime
from email.utils import parsedate_to_datetime

from gateway.channels.base import Accepted, Inbound, ProviderError, ProviderUnsure, State, Status
from gateway.channels.http import TIMEOUT, Response, request
from gateway.core import clock
from gateway.core.config import ProviderConfig

API = "2010-04-01"
PAGE = 50  # messages listed by `find`: the newest to that number, well past one retry

_STATES: dict[str, State] = {
    "queued": "pending",
    "accepted": "pending",
    "scheduled": "pending",
    "sending": "pending",
    "sent": "sent",
    "receiving": "pending",
    "received": "delivered",  # an inbound message's own status; never ours, but final
    "delivered": "delivered",
    "read": "delivered",  # WhatsApp/RCS: past delivered
    "failed": "failed",
    "undelivered": "failed",
    "canceled": "failed",
}

# Codes that say this message, not the account, is at fault: it fails and is not resent.
_PERMANENT = {
    21211: "Twilio says the number is not a valid phone number",
    21610: "the recipient has unsubscribed from this sender (sent STOP to it)",
    21614: "Twilio says the number is not a mobile number",
    21612: "Twilio cannot route a message to this number",
}
_BAD_CREDENTIALS = 20003
_NOT_FOUND = 20404
_TOO_MANY = 20429
_CREDENTIALS_WAIT = 900.0  # a person has to fix the token; do not hammer Twilio meanwhile
_SERVICE_WAIT = 60.0
_MAX_VALIDITY = 36_000  # seconds: Twilio's ValidityPeriod ceiling


class Twilio:
    """The `Provider` for Twilio. Built with the config (`url` filled in, `account` the
    Account SID) and the auth token read from `token_file`."""

    def __init__(self, config: ProviderConfig, token: str, *, timeout: float = TIMEOUT) -> None:
        self.name = config.name
        self._config = config
        self._auth = (config.account, token.strip())
        self._timeout = timeout
        self._base = f"{config.url.rstrip('/')}/{API}/Accounts/{config.account}"

    def send(self, to: str, text: str) -> Accepted:
        form = {"To": to, "From": self._config.sender, "Body": text}
        if self._config.callback_url:
            form["StatusCallback"] = callback_url(self._config, "status")
        if self._config.validity:
            form["ValidityPeriod"] = str(min(self._config.validity * 3600, _MAX_VALIDITY))
        answer = self._call("POST", "/Messages.json", form=form, sending=True)
        found = _json(answer)
        sid = found.get("sid")
        if not isinstance(sid, str) or not sid:
            # It answered 2xx without an id: a message may well have been made.
            raise ProviderUnsure(
                f"Twilio took a message but gave no sid: {answer.body[:80]!r}",
                code=answer.status,
                service=True,
                retry_after=_SERVICE_WAIT,
            )
        return Accepted(ref=sid, state=_STATES.get(str(found.get("status")), "pending"))

    def status(self, ref: str) -> Status:
        try:
            found = _json(self._call("GET", f"/Messages/{ref}.json"))
        except ProviderError as exc:
            if exc.code not in (404, _NOT_FOUND):
                raise
            # Not this account's (or purged): nothing to wait for, nor a reason to pause.
            return Status(ref=ref, state="unknown", detail=f"not found at Twilio ({exc.code})")
        return status_of(ref, str(found.get("status", "")), found.get("error_code"))

    def find(
        self, to: str, text: str, since: datetime, known: Collection[str] = ()
    ) -> Accepted | None:
        """The message made from a request whose answer was lost: to `to`, saying `text`,
        created at or after `since` (naive UTC), not one of the `known` sids (an earlier
        message with the same words); the newest such, or None."""
        query = {"To": to, "From": self._config.sender, "PageSize": str(PAGE)}
        found = _json(self._call("GET", "/Messages.json", query=query))
        start = clock.naive_utc(since).replace(microsecond=0)  # Twilio's times are in seconds
        listed = found.get("messages")
        matches: list[tuple[datetime, str, str]] = []
        for item in listed if isinstance(listed, list) else []:
            if not isinstance(item, dict) or item.get("body") != text:
                continue
            made, sid = _created(item.get("date_created")), item.get("sid")
            if made is not None and made >= start and isinstance(sid, str) and sid not in known:
                matches.append((made, sid, str(item.get("status", ""))))
        if not matches:
            return None
        made, sid, word = max(matches)
        return Accepted(ref=sid, state=_STATES.get(word, "pending"))

    def credits(self) -> float:
        """The account's balance, in its currency (Twilio counts money, not credits)."""
        found = _json(self._call("GET", "/Balance.json"))
        try:
            return float(str(found["balance"]))
        except (KeyError, ValueError):
            raise ProviderError(
                f"Twilio answered a balance check without a balance: {str(found)[:80]!r}",
                code="balance",
                service=True,
                retry_after=_SERVICE_WAIT,
            ) from None

    def inbound(self, form: Mapping[str, str]) -> Inbound:
        return inbound_of(form)

    def _call(
        self,
        method: str,
        path: str,
        *,
        form: Mapping[str, str] | None = None,
        query: Mapping[str, str] | None = None,
        sending: bool = False,
    ) -> Response:
        answer = request(
            method,
            self._base + path,
            form=form,
            query=query,
            basic=self._auth,
            timeout=self._timeout,
        )
        if not 200 <= answer.status < 300:
            raise _error(answer, sending)
        return answer


def callback_url(config: ProviderConfig, hook: str) -> str:
    """Where Twilio posts to the console (`hook` is "status" or "sms"): the URL it signs."""
    return f"{config.callback_url.rstrip('/')}/hooks/twilio/{config.name}/{hook}"


def status_of(ref: str, word: str, error_code: object = None) -> Status:
    """Twilio's status word (from a GET or a status callback) as the outbox's state."""
    state = _STATES.get(word, "unknown")
    detail = word or "no status"
    if error_code not in (None, ""):
        detail += f" (error {error_code})"
    return Status(ref=ref, state=state, detail=detail)


def callback_status(form: Mapping[str, str]) -> Status:
    """A status callback's form (MessageSid, MessageStatus, ErrorCode) as a Status."""
    ref = form.get("MessageSid") or form.get("SmsSid") or ""
    if not ref:
        raise ProviderError("a Twilio status callback without MessageSid", code="callback")
    word = form.get("MessageStatus") or form.get("SmsStatus") or ""
    return status_of(ref, word, form.get("ErrorCode"))


def inbound_of(form: Mapping[str, str]) -> Inbound:
    """A text to our Twilio number, from Twilio's webhook form (already verified)."""
    sender, sid = form.get("From", ""), form.get("MessageSid") or form.get("SmsSid") or ""
    if not sender or not sid:
        raise ProviderError(
            "a Twilio inbound webhook without From or MessageSid", code="inbound", permanent=True
        )
    return Inbound(sender=sender, text=form.get("Body", ""), ref=sid, received_at=clock.utcnow())


Params = Mapping[str, str] | Iterable[tuple[str, str]]


def signature(url: str, params: Params, token: str) -> str:
    """X-Twilio-Signature as Twilio computes it: base64 HMAC-SHA1, keyed with the auth
    token, of the full URL it posted to followed by each POST parameter's name and value,
    sorted by name (a repeated name's values sorted too)."""
    pairs = params.items() if isinstance(params, Mapping) else params
    signed = url + "".join(name + value for name, value in sorted(pairs))
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def valid_signature(url: str, params: Params, token: str, header: str | None) -> bool:
    """Whether `header` is Twilio's signature of this request (compared in constant time)."""
    if not header or not token:
        return False
    return hmac.compare_digest(signature(url, params, token).encode(), header.strip().encode())


def _json(answer: Response) -> dict[str, object]:
    found = answer.json()
    if not isinstance(found, dict):
        raise ProviderError(
            f"Twilio answered with JSON that is not an object: {answer.body[:80]!r}",
            code=answer.status,
            service=True,
            retry_after=_SERVICE_WAIT,
        )
    return found


def _created(value: object) -> datetime | None:
    """date_created, RFC 2822 ("Mon, 07 Dec 2026 02:47:38 +0000"), as naive UTC."""
    if not isinstance(value, str):
        return None
    try:
        return clock.naive_utc(parsedate_to_datetime(value))
    except (TypeError, ValueError):
        return None


def _error(answer: Response, sending: bool = False) -> ProviderError:
    """Twilio's error JSON ({code, message, more_info, status}) as a ProviderError. A 5xx
    to a send may come from a proxy after Twilio made the message: unsure, so it is asked
    about before anything is sent again."""
    try:
        found = answer.json()
    except ProviderError:
        found = {}
    if not isinstance(found, dict):
        found = {}
    code = found.get("code")
    code = code if isinstance(code, int) else answer.status
    said = str(found.get("message") or answer.body.strip()[:80] or f"HTTP {answer.status}")
    if answer.status == 429 or code == _TOO_MANY:
        return ProviderError(
            f"Twilio says slow down: {said}",
            code=code,
            retry_after=answer.retry_after(1.0),
            service=True,
        )
    if answer.status == 401 or code == _BAD_CREDENTIALS:
        return ProviderError(
            f"Twilio refused the Account SID and auth token ({said}): check the provider's "
            "account and token_file",
            code=code,
            retry_after=_CREDENTIALS_WAIT,
            service=True,
        )
    if code in _PERMANENT:
        return ProviderError(f"{_PERMANENT[code]}: {said}", code=code, permanent=True)
    if answer.status >= 500:
        return (ProviderUnsure if sending else ProviderError)(
            f"Twilio is failing: HTTP {answer.status} {said}",
            code=code,
            retry_after=answer.retry_after(_SERVICE_WAIT),
            service=True,
        )
    # Another 4xx: a code we do not map. Assume the account's set-up (a sender Twilio
    # does not accept, a region not enabled), so messages keep their attempts.
    return ProviderError(
        f"Twilio refused the request: {said} (HTTP {answer.status})",
        code=code,
        retry_after=_SERVICE_WAIT * 5,
        service=True,
    )
