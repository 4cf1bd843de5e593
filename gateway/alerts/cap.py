"""An alert as an OASIS CAP 1.2 message, for alert platforms that speak the Common
Alerting Protocol (issue 18). Built with xml.etree, never by joining strings, so no text
a person typed can break out of its element; characters XML 1.0 cannot hold at all are
replaced first.

Choices, each a constant below:
- identifier `urn:smsgw:<node>:<ref>` stays the same for an alert forever; once it is
  cancelled the document is a Cancel with its own identifier (`...:cancel`) whose
  <references> names the original, as CAP 1.2 section 3.2.1 asks.
- scope Restricted, not Public: an alert goes to the members of chosen lists and often
  names a vehicle or a person; Public would invite an aggregator to republish it to
  everyone. The <restriction> says who it is for.
- category Security (law enforcement: what rural alerts are about).
- urgency from the alert's priority: urgent or above is Immediate, anything lower
  Expected. Severity Moderate ("possible threat to life or property") and certainty
  Likely: the gateway does not grade alerts, and these are what a police alert to a
  watch scheme means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from sqlalchemy import Engine, select

from gateway.core import clock
from gateway.core.errors import GatewayError
from gateway.core.models import Alert, SubscriberList
from gateway.outbox.priorities import PRIORITIES

NS = "urn:oasis:names:tc:emergency:cap:1.2"
MEDIA_TYPE = "application/cap+xml"
SCOPE = "Restricted"
CATEGORY = "Security"
EVENT = "Community alert"
LANGUAGE = "en-GB"
SEVERITY = "Moderate"
CERTAINTY = "Likely"
HEADLINE_WORDS = 8
HEADLINE_CHARS = 80  # CAP advises under 160; a pager line is shorter
# XML 1.0's Char production: anything else (controls, lone surrogates, U+FFFE) cannot be
# written even escaped, so it becomes U+FFFD.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# CAP 1.2: identifier and sender must not hold spaces, commas or restricted characters.
_NOT_ID = re.compile(r"[\s,<&]+")


class CapError(GatewayError):
    """No such alert to express as CAP."""

    code = "cap-no-alert"


@dataclass(frozen=True)
class CapAlert:
    """What a CAP message says about one alert: its row and its lists' names."""

    ref: str
    text: str
    lists: tuple[str, ...]
    priority: int
    created_at: datetime  # naive UTC, as stored
    cancelled_at: datetime | None
    near_lat: float | None = None
    near_lon: float | None = None
    radius_km: float | None = None
    near_text: str = ""

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


def _of_row(row: Any, names: dict[int, str]) -> CapAlert:
    """An `alerts` row (a Core row: columns, not an ORM object) as CapAlert."""
    ids = [int(x) for x in row.list_ids.split(",") if x]
    return CapAlert(
        ref=row.ref,
        text=row.text,
        lists=tuple(names.get(i, str(i)) for i in ids),
        priority=row.priority,
        created_at=row.created_at,
        cancelled_at=row.cancelled_at if row.status == "cancelled" else None,
        near_lat=row.near_lat,
        near_lon=row.near_lon,
        radius_km=row.radius_km,
        near_text=row.near_text or "",
    )


def _load(engine: Engine, ref: str | None, limit: int) -> list[CapAlert]:
    query = select(Alert).order_by(Alert.id.desc()).limit(limit)
    if ref is not None:
        query = select(Alert).where(Alert.ref == ref.strip().upper())
    with engine.connect() as conn:
        names = {i: n for i, n in conn.execute(select(SubscriberList.id, SubscriberList.name))}
        rows = conn.execute(query).all()
    return [_of_row(r, names) for r in rows]


def cap_alert(engine: Engine, ref: str) -> CapAlert:
    """The alert `ref` as CAP needs it; CapError when there is none."""
    found = _load(engine, ref, 1)
    if not found:
        raise CapError(f"no alert {ref!r}")
    return found[0]


def recent(engine: Engine, limit: int = 50) -> list[CapAlert]:
    """The newest alerts first, for the Atom feed."""
    return _load(engine, None, limit)


def xml_text(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced (escaping is ElementTree's)."""
    return _NOT_XML.sub("\ufffd", text)


def _token(text: str) -> str:
    return _NOT_ID.sub("-", xml_text(text)).strip("-") or "smsgw"


def identifier(node: str, ref: str) -> str:
    """The alert's stable CAP identifier (also its Atom entry id: a valid URN)."""
    return f"urn:smsgw:{_token(node)}:{_token(ref)}"


def sender(node: str) -> str:
    return f"smsgw@{_token(node)}"


def cap_time(moment: datetime, timezone: clock.Zone) -> str:
    """CAP's dateTime: whole seconds with an explicit offset, never "Z"."""
    local = clock.to_local(moment, timezone).replace(microsecond=0)
    return local.isoformat()


def urgency(priority: int) -> str:
    """Lower numbers go first (gateway/outbox/priorities.py): urgent or duty is Immediate."""
    return "Immediate" if priority <= PRIORITIES["urgent"] else "Expected"


def headline(text: str) -> str:
    """The first few words, cut short with an ellipsis when there is more."""
    words = xml_text(text).split()
    head = " ".join(words[:HEADLINE_WORDS])
    if len(head) > HEADLINE_CHARS:
        head = head[: HEADLINE_CHARS - 1].rstrip()
    return head + ("…" if head != " ".join(words) else "")


def area_desc(alert: CapAlert) -> str:
    where = ", ".join(alert.lists) or "smsgw subscribers"
    if alert.radius_km is not None and alert.near_text:
        where += f"; within {alert.radius_km:g} km of {alert.near_text}"
    return xml_text(where)


def _sub(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{NS}}}{tag}")
    element.text = xml_text(text)
    return element


def _info(root: ET.Element, alert: CapAlert, node: str) -> None:
    info = ET.SubElement(root, f"{{{NS}}}info")
    for tag, value in (
        ("language", LANGUAGE),
        ("category", CATEGORY),
        ("event", EVENT),
        ("urgency", urgency(alert.priority)),
        ("severity", SEVERITY),
        ("certainty", CERTAINTY),
        ("senderName", f"smsgw {node}".strip()),
        ("headline", headline(alert.text)),
        ("description", alert.text),
    ):
        _sub(info, tag, value)
    area = ET.SubElement(info, f"{{{NS}}}area")
    _sub(area, "areaDesc", area_desc(alert))
    if alert.near_lat is not None and alert.near_lon is not None and alert.radius_km is not None:
        _sub(area, "circle", f"{alert.near_lat:.5f},{alert.near_lon:.5f} {alert.radius_km:g}")


def to_xml(alert: CapAlert, *, node: str, timezone: clock.Zone) -> bytes:
    """The CAP 1.2 document (UTF-8, with its XML declaration): an Alert, or once the alert
    is cancelled a Cancel that references it."""
    root = ET.Element(f"{{{NS}}}alert")
    original = identifier(node, alert.ref)
    created = cap_time(alert.created_at, timezone)
    cancel = alert.cancelled_at
    _sub(root, "identifier", original + (":cancel" if cancel else ""))
    _sub(root, "sender", sender(node))
    _sub(root, "sent", cap_time(cancel, timezone) if cancel else created)
    _sub(root, "status", "Actual")
    _sub(root, "msgType", "Cancel" if cancel else "Alert")
    _sub(root, "scope", SCOPE)
    _sub(root, "restriction", f"For the members of the lists: {area_desc(alert)}")
    if cancel:
        _sub(root, "references", f"{sender(node)},{original},{created}")
    _info(root, alert, node)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True, default_namespace=NS))
