"""The API answers as web/openapi.json says: every path and method in the document is
called on a real server, and each answer's status must be documented and its JSON body
must validate against the documented schema (jsonschema, JSON Schema 2020-12)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import jsonschema
from sqlalchemy import Engine

from gateway.core import tokens
from gateway.subscribers.service import Subscribers

TO = "+447700900321"
BODIES: dict[str, Any] = {  # operationId -> a body that should succeed
    "sendMessage": {"to": TO, "text": "Gate open at Sedgeford", "priority": "normal"},
    "sendAlert": {"lists": ["Docking"], "text": "POLICE ALERT: hare coursers"},
    "addSubscriber": {"phone": TO, "list": "Docking", "name": "Ann"},
}


def _call(base: str, method: str, path: str, token: str, body: Any) -> tuple[int, str, bytes]:
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    data = json.dumps(body).encode() if method in ("post", "put", "patch") else None
    req = urllib.request.Request(base + path, data=data, method=method.upper(), headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get_content_type(), err.read()


def _fill(path: str, msg_id: int) -> str:
    return (
        path.replace("{msg_id}", str(msg_id))
        .replace("{ref}", "A999999")
        .replace("{phone}", TO + "?list=Docking")
    )


def test_every_documented_operation_answers_as_documented(console: str, engine: Engine) -> None:
    doc = json.loads(_call(console, "get", "/api/v1/openapi.json", "", None)[2])
    token = tokens.add(engine, "admin1", "document check")[1]
    Subscribers(engine).add_list("Docking", "DOCKING")
    status, _, made = _call(console, "post", "/api/v1/messages", token, BODIES["sendMessage"])
    assert status == 201
    msg_id = json.loads(made)["id"]
    checked = 0
    wrong: list[str] = []
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method in ("parameters", "servers"):
                continue
            base = ops.get("servers", doc["servers"])[0]["url"].rstrip("/")
            url = base + _fill(path, msg_id)
            status, kind, raw = _call(
                console, method, url, token, BODIES.get(op["operationId"], {})
            )
            responses = op["responses"]
            if str(status) not in responses:
                wrong.append(f"{method} {path}: {status} undocumented: {raw[:120]!r}")
                continue
            answer = responses[str(status)]
            if "$ref" in answer:
                answer = doc["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
            schema = answer.get("content", {}).get("application/json", {}).get("schema")
            if kind != "application/json" or schema is None:
                continue  # XML, Atom, text: their own tests check them
            validator = jsonschema.Draft202012Validator(
                {**schema, "components": doc["components"]},
                format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
            )
            wrong += [
                f"{method} {path} {status}: {e.message}"
                for e in validator.iter_errors(json.loads(raw))
            ]
            checked += 1
    assert not wrong, "\n".join(wrong)
    assert checked >= 12  # every JSON operation of the document, not a handful
