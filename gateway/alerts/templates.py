"""Alert templates: a text with named fields the control room fills in under pressure.

"POLICE ALERT {reference}: suspect vehicle {colour} {make_model} {registration} ..."

A body is user input, so it is never given to str.format: "{x.__class__}" or "{x!r}"
there would read attributes of the values or call their repr. A small parser accepts
only "{name}" with a plain name, and "{{" / "}}" for literal braces; anything else is
refused, both when a template is added and when a body is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import AlertTemplate
from gateway.sightings.plates import normalise_registration

MAX_NAME = 64  # the column's width
_PART = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_REGISTRATION_FIELDS = frozenset({"registration"})
_COLUMNS = (
    AlertTemplate.id,
    AlertTemplate.name,
    AlertTemplate.body,
    AlertTemplate.created_by,
    AlertTemplate.created_at,
)


class TemplateError(GatewayError, ValueError):
    """A template or a rendering that cannot be used; `missing` names absent fields."""

    def __init__(self, message: str, missing: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.missing = missing


@dataclass(frozen=True)
class Template:
    id: int
    name: str
    body: str
    created_by: str
    created_at: datetime

    @property
    def fields(self) -> list[str]:
        return fields(self.body)


@dataclass(frozen=True)
class _Field:
    name: str


def fields(body: str) -> list[str]:
    """The field names in `body`, each once, in order of first appearance."""
    return list(dict.fromkeys(p.name for p in _parse(body) if isinstance(p, _Field)))


def render(body_or_template: str | Template, values: Mapping[str, str]) -> str:
    """The body with every field filled in. Values are stripped and their inner blank
    space collapsed; a field called "registration" gets the standard plate spacing
    ("KX19 ABC"), or is upper-cased as typed when it is not a whole plate. A field that
    is absent or blank is an error naming it (an alert with a hole in it helps nobody);
    values for fields the body does not have are ignored."""
    body = body_or_template.body if isinstance(body_or_template, Template) else body_or_template
    parts = _parse(body)
    filled: dict[str, str] = {}
    missing: list[str] = []
    for part in parts:
        if isinstance(part, _Field) and part.name not in filled:
            value = _clean(part.name, values.get(part.name))
            if value:
                filled[part.name] = value
            elif part.name not in missing:
                missing.append(part.name)
    if missing:
        raise TemplateError(f"no value for {', '.join(missing)}", tuple(missing))
    return "".join(filled[p.name] if isinstance(p, _Field) else p for p in parts)


class Templates:
    """The stored templates. `render` and `fields` are here too, for callers that hold
    only this object."""

    render = staticmethod(render)
    fields = staticmethod(fields)

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def all(self) -> list[Template]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(*_COLUMNS).order_by(AlertTemplate.name)).all()
        return [Template(*row) for row in rows]

    def get(self, name: str) -> Template | None:
        """The template called `name`, ignoring case and spacing. Compared here rather
        than in SQL, whose lower() leaves non-ASCII letters alone on SQLite."""
        wanted = _name_key(name)
        return next((t for t in self.all() if _name_key(t.name) == wanted), None)

    def add(self, name: str, body: str, by: str) -> Template:
        """Store a new template; its body must parse and its name be new (in any case)."""
        name = " ".join(name.split())
        body = body.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise TemplateError(f"a template needs a name of 1-{MAX_NAME} characters")
        if not body:
            raise TemplateError("a template needs a body")
        _parse(body)
        if self.get(name) is not None:
            raise TemplateError(f"a template called {name!r} exists already")
        created = utcnow()
        try:
            with self.engine.begin() as conn:
                new_id = conn.execute(
                    insert(AlertTemplate).returning(AlertTemplate.id),
                    {"name": name, "body": body, "created_by": by[:64], "created_at": created},
                ).scalar_one()
        except IntegrityError:  # added by someone else since the check above
            raise TemplateError(f"a template called {name!r} exists already") from None
        return Template(new_id, name, body, by[:64], created)


def _name_key(name: str) -> str:
    return " ".join(name.split()).casefold()


def _parse(body: str) -> list[str | _Field]:
    """Literal text and fields, in order; TemplateError for anything else in braces."""
    if not isinstance(body, str):
        raise TemplateError(f"a template body must be text, not {type(body).__name__}")
    parts: list[str | _Field] = []
    at = 0
    for match in _PART.finditer(body):
        parts.append(body[at : match.start()])
        token, inside = match.group(), match.group(1)
        if token in ("{{", "}}"):
            parts.append(token[0])
        elif inside is None:
            raise TemplateError(
                f"unmatched {token!r} at character {match.start() + 1}; write {token * 2} "
                "for a brace in the text"
            )
        elif not _NAME.fullmatch(inside):
            raise TemplateError(
                f"{token!r} is not a field: a field is a plain name of letters, digits "
                "and '_' (such as {colour}), with nothing else inside the braces"
            )
        else:
            parts.append(_Field(inside))
        at = match.end()
    parts.append(body[at:])
    return [p for p in parts if p != ""]


def _clean(name: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TemplateError(f"the value for {name} must be text, not {type(value).__name__}")
    value = " ".join(value.split())
    if value and name.lower() in _REGISTRATION_FIELDS:
        return normalise_registration(value) or value.upper()
    return value
