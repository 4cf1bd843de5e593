"""Where hosted services call the console: Twilio's status callbacks and texts to its number.

Nobody signs in here and no CSRF token comes: Twilio signs each request instead
(X-Twilio-Signature, keyed with that provider's auth token, over the URL it was given),
and a request whose signature does not check is refused before anything is read from it.
The URL checked is the configured one (`callback_url`), not the one this request came in
on: behind a reverse proxy the two differ, and it is the public one Twilio signed.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, request

from gateway.channels.base import ProviderError
from gateway.channels.reports import apply_status, store_inbound
from gateway.core.config import ProviderConfig
from web import csrf
from web.auth import client_address
from web.context import config, services

log = logging.getLogger(__name__)

bp = Blueprint("hooks", __name__, url_prefix="/hooks")
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


@bp.post("/twilio/<name>/status")
@csrf.exempt
def twilio_status(name: str) -> Response:
    """A message's new status: delivered or failed settles it in the outbox."""
    _verified(name, "status")
    from gateway.channels import twilio

    try:
        status = twilio.callback_status(request.form)
    except ProviderError as exc:
        abort(400, str(exc))
    apply_status(services().engine, name, status)
    return Response("", status=204)


@bp.post("/twilio/<name>/sms")
@csrf.exempt
def twilio_sms(name: str) -> Response:
    """A text to the provider's number: filed in the inbox once, then routed."""
    _verified(name, "sms")
    from gateway.channels import twilio

    try:
        text = twilio.inbound_of(request.form)
    except ProviderError as exc:
        abort(400, str(exc))
    smsgw = services()
    store_inbound(smsgw.inbox, [smsgw.router], name, text)
    return Response(EMPTY_TWIML, status=200, mimetype="text/xml")


def _verified(name: str, hook: str) -> ProviderConfig:
    """The provider this hook is for, once Twilio's signature checks; 404 or 403 if not."""
    # Imported here, as the other hooks do: its HTTP client (urllib.request) is loaded only
    # by a gateway that takes Twilio's callbacks, not by every console start.
    from gateway.channels import twilio

    provider = next((p for p in config().providers if p.name == name and p.kind == "twilio"), None)
    if provider is None or not provider.callback_url:
        log.warning("twilio %s hook for %r: no such provider taking callbacks", hook, name)
        abort(404)
    url = twilio.callback_url(provider, hook)
    header = request.headers.get("X-Twilio-Signature")
    params = list(request.form.items(multi=True))
    if not twilio.valid_signature(url, params, _token(provider), header):
        who = client_address(
            request.remote_addr or "",
            request.headers.get("X-Forwarded-For", ""),
            current_app.extensions.get("smsgw_trusted_proxies", ()),
        )
        log.warning(
            "twilio %s hook for %s refused: %s X-Twilio-Signature (from %s)",
            hook,
            name,
            "a bad" if header else "no",
            who,
        )
        abort(403)
    return provider


def _token(provider: ProviderConfig) -> str:
    """The provider's auth token, read from its token_file once per console."""
    tokens: dict[str, str] = current_app.extensions.setdefault("smsgw_hook_tokens", {})
    if provider.name not in tokens:
        try:
            lines = Path(provider.token_file).read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            log.error("twilio hooks for %s: cannot read token_file: %s", provider.name, exc)
            abort(503)
        tokens[provider.name] = lines[0].strip() if lines else ""
    return tokens[provider.name]
