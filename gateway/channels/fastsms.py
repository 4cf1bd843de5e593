"""FastSMS (my.fastsms.co.uk), the hosted service Norfolk's hare-coursing scheme ran on.

Its HTTP API is one address, `{url}/api`, with an `Action` and the account's `Token`;
it answers plain text: a message id (a positive number), a negative code, a status word
or a credit balance. We always POST, so the token stays out of URLs and of any log that
records them, and send one destination per request, so each message gets its own
outcome (FastSMS would take several, comma-separated, and answer a line for each).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime

from gateway.channels.base import (
    Accepted,
    CannotTell,
    Inbound,
    ProviderError,
    ProviderUnsure,
    State,
    Status,
)
from gateway.channels.http import TIMEOUT, Response, request
from gateway.core.config import ProviderConfig

# A negative code: (what an operator reads, seconds to wait, the service's fault?).
# -100 and -501 need a person (buy credit, fix the token): nothing goes until then.
_CODES: dict[int, tuple[str, float, bool]] = {
    -100: ("FastSMS account has no credits left: buy more to send", 900.0, True),
    -411: ("FastSMS's daily limit for this one number is reached: it goes tomorrow", 3600.0, False),
    -501: ("FastSMS does not know this user: check the token in token_file", 900.0, True),
    -511: ("FastSMS is down for maintenance", 300.0, True),
}
_INVALID_DESTINATION = -401
_UNKNOWN_CODE_WAIT = 60.0

_STATES: dict[str, State] = {
    "Pending": "pending",
    "Sent": "sent",
    "Delivered": "delivered",
    "FAILED": "failed",
    "EXPIRED": "failed",
    "UNDELIVERABLE": "failed",
    "UNKNOWN": "unknown",
}


class FastSms:
    """The `Provider` for FastSMS. Built with the config (its `url` already filled in)
    and the token read from `token_file`."""

    def __init__(self, config: ProviderConfig, token: str, *, timeout: float = TIMEOUT) -> None:
        self.name = config.name
        self._config = config
        self._token = token.strip()
        self._timeout = timeout
        self._api = config.url.rstrip("/") + "/api"

    def send(self, to: str, text: str) -> Accepted:
        form = {"Action": "Send", "DestinationAddress": _destination(to), "Body": text}
        if self._config.sender:
            form["SourceAddress"] = self._config.sender
        if self._config.validity:
            # Our reading of FastSMS's API: ValidityPeriod is in seconds; config is in hours.
            form["ValidityPeriod"] = str(self._config.validity * 3600)
        try:
            answer = self._call(form)
        except ProviderError as exc:
            if (
                isinstance(exc.code, int)
                and exc.code >= 500
                and not isinstance(exc, ProviderUnsure)
            ):
                # From a proxy, perhaps after FastSMS made the message: never send it again.
                raise ProviderUnsure(
                    f"{exc} (a message may have been made)",
                    code=exc.code,
                    service=True,
                    retry_after=exc.retry_after,
                ) from None
            raise
        lines = answer.splitlines()
        if len(lines) != 1 or not _is_int(lines[0]):
            # It answered, but not with an id or a code: a message may have been made.
            raise ProviderUnsure(
                f"FastSMS answered a send with something unexpected: {answer[:80]!r}",
                service=True,
                retry_after=_UNKNOWN_CODE_WAIT,
            )
        number = int(lines[0])
        if number < 0:
            raise _error(number)
        return Accepted(ref=str(number), state="pending")

    def status(self, ref: str) -> Status:
        word = self._call({"Action": "CheckMessageStatus", "MessageID": ref})
        if _is_int(word) and int(word) < 0:
            raise _error(int(word))
        state = _STATES.get(word)
        if state is None:
            raise ProviderError(
                f"FastSMS answered a status check with something unexpected: {word[:80]!r}",
                service=True,
                retry_after=_UNKNOWN_CODE_WAIT,
            )
        return Status(ref=ref, state=state, detail=word)

    def find(
        self, to: str, text: str, since: datetime, known: Collection[str] = ()
    ) -> Accepted | None:
        """FastSMS can look a message up only by the id its Send answered; when that
        answer was lost we have nothing to ask with, so we cannot say."""
        raise CannotTell(
            "FastSMS cannot look a message up without its id",
            code="find",
            permanent=False,
            retry_after=None,
            service=False,
        )

    def credits(self) -> float:
        answer = self._call({"Action": "CheckCredits"})
        if _is_int(answer) and int(answer) < 0:
            raise _error(int(answer))
        try:
            return float(answer)
        except ValueError:
            raise ProviderError(
                f"FastSMS answered a credit check with something unexpected: {answer[:80]!r}",
                service=True,
                retry_after=_UNKNOWN_CODE_WAIT,
            ) from None

    def inbound(self, form: Mapping[str, str]) -> Inbound:
        """FastSMS sends from a letters sender nobody can reply to, so it hands us no
        texts: replies to an alert come back to the SIMs."""
        raise ProviderError(
            "FastSMS takes no replies (it sends from a name, not a number): "
            "inbound texts come back to the SIMs",
            code="inbound",
            permanent=True,
        )

    def _call(self, form: dict[str, str]) -> str:
        """POST one action; the answer's text, or the HTTP failure as a ProviderError."""
        answer = request(
            "POST", self._api, form={"Token": self._token, **form}, timeout=self._timeout
        )
        if answer.status != 200:
            raise _http_error(answer)
        return answer.body.strip()


def _destination(to: str) -> str:
    """Our reading of FastSMS's API: international digits without "+" (447700900123)."""
    return to.strip().removeprefix("+")


def _is_int(word: str) -> bool:
    return word.removeprefix("-").isdigit()


def _error(code: int) -> ProviderError:
    if code == _INVALID_DESTINATION:
        return ProviderError(
            "FastSMS says the number is not a valid destination", code=code, permanent=True
        )
    known = _CODES.get(code)
    if known is None:
        # Not one of the codes FastSMS documents: assume the service's fault, so a
        # message does not spend its attempts on it; the code shows in status.
        return ProviderError(
            f"FastSMS answered code {code}, which we do not know",
            code=code,
            retry_after=_UNKNOWN_CODE_WAIT,
            service=True,
        )
    message, wait, service = known
    return ProviderError(f"{message} (code {code})", code=code, retry_after=wait, service=service)


def _http_error(answer: Response) -> ProviderError:
    status = answer.status
    if status == 429:
        return ProviderError(
            "FastSMS says slow down (HTTP 429)",
            code=status,
            retry_after=answer.retry_after(5.0),
            service=True,
        )
    what = "FastSMS is failing" if status >= 500 else "FastSMS refused the request"
    return ProviderError(
        f"{what}: HTTP {status} {answer.body.strip()[:80]!r}",
        code=status,
        retry_after=answer.retry_after(60.0 if status >= 500 else 300.0),
        service=True,
    )
