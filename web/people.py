"""Subscribers: search, add, edit, erase. CSV import and export are the nested blueprint
in people_csv (same /subscribers prefix); lists are web/people_lists.py, at /lists.

Viewers read with numbers and email addresses masked; only operators and admins see them
whole (to ring or write back) and change anything. A person gets alerts by text, email or
both (their channel); an address is checked by gateway/subscribers/emails.py, a location
(where they are, for alerts near a place; whole to operators only) by whereabouts.py. Audit
details name the subscriber by id, never by number, name or address: the audit log is
append-only, so it must hold nothing an erase removes.
"""

from __future__ import annotations

from datetime import datetime
from math import ceil
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from gateway.core import audit, clock
from gateway.core.geo import BadLocation
from gateway.core.phone import InvalidNumber, normalise
from gateway.subscribers import search as subscriber_search
from gateway.subscribers.csv_rows import clean_name
from gateway.subscribers.emails import (
    CHANNELS,
    InvalidChannel,
    InvalidEmail,
    clean_channel,
    clean_email,
    mask_email,
)
from gateway.subscribers.search import PAGE, Person
from gateway.subscribers.service import ListInfo, SubscriberError, Subscribers
from web import people_csv
from web.auth import role_required
from web.context import config, engine, services, shown_number, whole_numbers

bp = Blueprint("people", __name__, url_prefix="/subscribers")
bp.register_blueprint(people_csv.bp)

MAX_PAGE = 100_000  # far past the last page of any force; keeps OFFSET a small integer
CHANNEL_NAMES = {"sms": "text", "email": "email", "both": "text and email"}
FIELD_ERRORS = (InvalidEmail, InvalidChannel, BadLocation)  # the fields checked first


@bp.context_processor
def helpers() -> dict[str, Any]:
    return {
        "shown_number": shown_number,
        "shown_email": shown_email,
        "local_time": local_time,
        "channels": CHANNELS,
        "channel_names": CHANNEL_NAMES,
    }


def shown_email(address: str | None) -> str:
    """An address as the signed-in user may see it: whole for operators, masked else."""
    if not address:
        return ""
    return address if whole_numbers() else mask_email(address)


def local_time(moment: datetime) -> str:
    """A naive-UTC time from the database, as the control room's clock shows it."""
    return clock.to_local(moment, config().gateway.timezone).strftime("%d %b %Y %H:%M")


def subscribers() -> Subscribers:
    return services().subscribers


@bp.route("/")
@login_required
def index() -> Any:
    query = request.args.get("q", "").strip()[:100]
    page = min(MAX_PAGE, max(1, request.args.get("page", 1, type=int) or 1))
    found = subscriber_search.search(
        engine(),
        query,
        country=config().gateway.country,
        numbers=current_user.can("operator"),
        offset=(page - 1) * PAGE,
    )
    pages = max(1, ceil(found.total / PAGE))
    return render_template("subscribers.html", found=found, query=query, page=page, pages=pages)


@bp.route("/new", methods=["GET", "POST"])
@role_required("operator")
def add() -> Any:
    lists = subscribers().lists()
    if request.method == "GET":
        return render_template("subscriber_new.html", lists=lists, form={}, chosen=set())
    chosen = set(request.form.getlist("list", type=int))
    try:
        person = _add(lists, chosen)
    except (InvalidNumber, SubscriberError, *FIELD_ERRORS) as exc:
        page = render_template(
            "subscriber_new.html", lists=lists, form=request.form, chosen=chosen, error=str(exc)
        )
        return page, 400
    return redirect(url_for(".detail", subscriber_id=person.id))


def _add(lists: list[ListInfo], chosen: set[int]) -> Person:
    targets = [info for info in lists if info.id in chosen]
    if not targets:
        raise SubscriberError("choose at least one list: a subscriber on no list gets nothing")
    number = normalise(request.form.get("phone", ""), config().gateway.country)
    name = clean_name(request.form.get("name", ""))
    typed = request.form.get("email", "").strip()
    email = clean_email(typed) if typed else ""  # checked before anything is written
    channel = clean_channel(request.form.get("channel") or "sms", email)
    location = request.form.get("location", "").strip()
    if location:
        subscribers().read_location(location)  # checked before anything is written
    known = subscriber_search.search(engine(), number).people
    for info in targets:
        subscribers().join(
            number, info.keyword, name=name, method="console", by=current_user.username
        )
    changed = []
    if email or channel != "sms":  # an existing person's choice stays unless one is given
        changed = subscribers().set_email(number, email or None, channel=channel)
    if location and (moved := subscribers().set_location(number, location)):
        changed.append(moved)  # an existing person's location stays unless one is given
    person = subscriber_search.search(engine(), number).people[0]
    joined = ", ".join(info.keyword for info in targets)
    action = "subscriber-changed" if known else "subscriber-added"
    detail = f"subscriber {person.id}: joined {joined}" + "".join(f"; {c}" for c in changed)
    audit.record(engine(), current_user.username, action, detail)
    if known and name and person.name != name:
        flash(f"Already a subscriber: added to {joined}. The name on file was kept.")
    else:
        flash(f"Added to {joined}.")
    return person


@bp.route("/<int:subscriber_id>")
@login_required
def detail(subscriber_id: int) -> Any:
    return _detail(_person(subscriber_id))


def _detail(person: Person, error: str = "", form: Any = None) -> str:
    return render_template(
        "subscriber.html",
        person=person,
        lists=subscribers().lists(),
        member={m.list_id: m for m in person.joined},
        history=subscriber_search.consents(engine(), person.id),
        error=error,
        form=form or {},
    )


@bp.post("/<int:subscriber_id>")
@role_required("operator")
def edit(subscriber_id: int) -> Any:
    person = _person(subscriber_id)
    subs = subscribers()
    location = request.form.get("location")
    try:  # first: a bad address or location changes nothing else
        if location is not None:
            subs.read_location(location)
        by_email = subs.set_email(
            person.phone, request.form.get("email"), channel=request.form.get("channel")
        )
    except FIELD_ERRORS as exc:
        return _detail(person, str(exc), request.form), 400
    changes = _apply_lists(
        subs,
        person,
        wanted=set(request.form.getlist("list", type=int)),
        keys=set(request.form.getlist("key", type=int)),
    )
    name = clean_name(request.form.get("name", ""))
    if name != person.name:
        subs.rename(person.phone, name)
        changes.append("name changed")
    changes += by_email
    if location is not None and (moved := subs.set_location(person.phone, location)):
        changes.append(moved)
    if changes:
        detail = f"subscriber {person.id}: " + "; ".join(changes)
        audit.record(engine(), current_user.username, "subscriber-changed", detail)
        flash("Saved: " + "; ".join(changes) + ".")
    else:
        flash("Nothing to change.")
    return redirect(url_for(".detail", subscriber_id=person.id))


def _apply_lists(subs: Subscribers, person: Person, wanted: set[int], keys: set[int]) -> list[str]:
    """Join, leave and key-contact changes, each with its consent record."""
    have = {m.list_id: m for m in person.joined}
    by = current_user.username
    changes: list[str] = []
    for info in subs.lists():
        key = info.id in keys and info.id in wanted
        now = have.get(info.id)
        if info.id in wanted and now is None:
            subs.join(person.phone, info.keyword, method="console", by=by, key_contact=key)
            changes.append(f"joined {info.keyword}" + (" as key contact" if key else ""))
        elif info.id not in wanted and now is not None:
            subs.leave(person.phone, info.keyword, method="console", by=by)
            changes.append(f"left {info.keyword}")
        elif now is not None and now.key_contact != key:
            subs.set_key_contact(person.phone, info.keyword, key, by=by)
            changes.append(f"{'now' if key else 'no longer'} key contact on {info.keyword}")
    return changes


@bp.route("/<int:subscriber_id>/erase", methods=["GET", "POST"])
@role_required("operator")
def erase(subscriber_id: int) -> Any:
    """GDPR erasure, behind a confirmation page: it cannot be undone."""
    person = _person(subscriber_id)
    if request.method == "GET" or request.form.get("confirm") != "erase":
        status = 200 if request.method == "GET" else 400
        return render_template("subscriber_erase.html", person=person), status
    subscribers().erase(person.phone, by=current_user.username)  # the service audits it
    flash(f"Subscriber {person.id} erased: number, name and lists are gone.")
    return redirect(url_for(".index"))


def _person(subscriber_id: int) -> Person:
    person = subscriber_search.get(engine(), subscriber_id)
    if person is None:
        abort(404)
    return person
