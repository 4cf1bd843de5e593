"""Recent alerts as an Atom 1.0 feed (RFC 4287) whose entries each link their CAP
document, the index CAP consumers poll (the OASIS CAP feeds note). Built with
xml.etree like the CAP documents; the caller gives the URLs, so this stays free of Flask.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from gateway.alerts.cap import MEDIA_TYPE, CapAlert, headline, identifier, xml_text
from gateway.core.clock import utcnow

ATOM = "http://www.w3.org/2005/Atom"
ATOM_TYPE = "application/atom+xml"


def _stamp(moment: datetime) -> str:
    """RFC 3339 in UTC, as Atom asks."""
    return moment.replace(tzinfo=UTC, microsecond=0).isoformat().replace("+00:00", "Z")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = xml_text(text)
    return element


def _updated(alert: CapAlert) -> datetime:
    return alert.cancelled_at or alert.created_at


def atom_feed(
    alerts: Sequence[CapAlert], *, node: str, self_url: str, cap_url: Callable[[str], str]
) -> bytes:
    """The feed, newest alert first; `cap_url(ref)` is where each alert's CAP document is."""
    # Unqualified names under an xmlns attribute: ElementTree's default_namespace refuses
    # the plain attributes Atom uses, and register_namespace is process-wide state.
    feed = ET.Element("feed", xmlns=ATOM)
    _sub(feed, "id", identifier(node, "alerts"))
    _sub(feed, "title", " ".join(["smsgw", node, "alerts"]).replace("  ", " "))
    newest = max((_updated(a) for a in alerts), default=utcnow())
    _sub(feed, "updated", _stamp(newest))
    author = _sub(feed, "author")
    _sub(author, "name", f"smsgw {node}".strip())
    _sub(feed, "link", rel="self", type=ATOM_TYPE, href=self_url)
    for alert in alerts:
        entry = _sub(feed, "entry")
        _sub(entry, "id", identifier(node, alert.ref))
        title = ("Cancelled: " if alert.cancelled else "") + f"{alert.ref} {headline(alert.text)}"
        _sub(entry, "title", title)
        _sub(entry, "updated", _stamp(_updated(alert)))
        _sub(entry, "published", _stamp(alert.created_at))
        _sub(entry, "summary", alert.text)
        _sub(entry, "link", rel="alternate", type=MEDIA_TYPE, href=cap_url(alert.ref))
    return bytes(ET.tostring(feed, encoding="utf-8", xml_declaration=True))
