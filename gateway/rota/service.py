"""Operators and their shifts: who gets a forwarded sighting, and where cover is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import Operator, Shift
from gateway.core.phone import normalise
from gateway.core.privacy import mask
from gateway.rota import cover as coverage

MAX_NAME = 100  # the column's width


def _hash_pin(pin: str) -> str:
    # werkzeug (its scrypt hash) is slow to import and only a PIN needs it: `smsgw status`
    # reads the rota too, and must not pay for it.
    from werkzeug.security import generate_password_hash

    return generate_password_hash(pin)


class RotaError(GatewayError, ValueError):
    """A rota change that cannot be made; the text says why."""


@dataclass(frozen=True)
class OperatorInfo:
    id: int
    name: str
    phone: str


class Rota:
    def __init__(self, engine: Engine, country: str = "GB") -> None:
        self.engine = engine
        self.country = country

    def add_operator(self, name: str, phone: str, pin: str = "") -> OperatorInfo:
        if pin and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise RotaError("an operator's PIN is 4-8 digits")
        number = normalise(phone, self.country)
        try:
            with self.engine.begin() as conn:
                op_id = conn.execute(
                    insert(Operator).returning(Operator.id),
                    {
                        "name": name.strip(),
                        "phone": number,
                        "active": True,
                        "pin_hash": _hash_pin(pin) if pin else "",
                        "created_at": utcnow(),
                    },
                ).scalar_one()
        except IntegrityError:
            raise RotaError(f"{number} is an operator already") from None
        return OperatorInfo(op_id, name.strip(), number)

    def operator_by_phone(self, phone: str) -> OperatorInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(Operator).where(Operator.phone == phone, Operator.active)
            ).first()
        return OperatorInfo(row.id, row.name, row.phone) if row else None

    def operator(self, op_id: int) -> OperatorInfo | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(Operator).where(Operator.id == op_id)).first()
        return OperatorInfo(row.id, row.name, row.phone) if row else None

    def pin_ok(self, op_id: int, pin: str) -> bool:
        with self.engine.connect() as conn:
            stored = conn.scalar(select(Operator.pin_hash).where(Operator.id == op_id))
        if not stored:
            return False
        from werkzeug.security import check_password_hash

        return check_password_hash(str(stored), pin)

    def add_shift(
        self,
        operator_id: int,
        start: datetime,
        end: datetime,
        *,
        role: str = "primary",
        by: str = "",
    ) -> int:
        if end <= start:
            raise RotaError("a shift must end after it starts")
        if role not in ("primary", "backup"):
            raise RotaError("a shift's role is primary or backup")
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    insert(Shift).returning(Shift.id),
                    {
                        "operator_id": operator_id,
                        "start": start,
                        "end": end,
                        "role": role,
                        "created_by": by,
                        "created_at": utcnow(),
                    },
                ).scalar_one()
            )

    def shifts(self, start: datetime, end: datetime) -> list[coverage.Shift]:
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Shift).where(Shift.end > start, Shift.start < end, Shift.end > Shift.start)
            ).all()
        return [coverage.Shift(r.id, r.operator_id, r.start, r.end, r.role) for r in rows]

    def on_duty(
        self, at: datetime | None = None
    ) -> tuple[OperatorInfo | None, OperatorInfo | None]:
        at = at or utcnow()
        duty = coverage.on_duty(self.shifts(at, at + timedelta(seconds=1)), at)
        primary = self.operator(duty.primary.operator_id) if duty.primary else None
        backup = self.operator(duty.backup.operator_id) if duty.backup else None
        return primary, backup

    def gaps(self, days: float = 7, now: datetime | None = None) -> list[coverage.Gap]:
        start = now or utcnow()
        end = start + timedelta(days=days)
        return coverage.gaps(self.shifts(start, end), start, end)

    # -- editing from the console: every change is audited under `by` -----------------
    def operators(self, *, active: bool = True) -> list[OperatorInfo]:
        """Operators by name; `active=False` lists the deactivated, who can be brought back."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Operator)
                .where(Operator.active.is_(active))
                .order_by(Operator.name, Operator.id)
            ).all()
        return [OperatorInfo(r.id, r.name, r.phone) for r in rows]

    def update_operator(
        self, op_id: int, name: str, phone: str, *, pin: str = "", by: str
    ) -> OperatorInfo:
        """Change a name or number; a blank PIN keeps the old one, which is only a hash."""
        name = name.strip()
        if not 1 <= len(name) <= MAX_NAME:
            raise RotaError(f"an operator needs a name of 1-{MAX_NAME} characters")
        if pin and not (pin.isdigit() and 4 <= len(pin) <= 8):
            raise RotaError("an operator's PIN is 4-8 digits")
        number = normalise(phone, self.country)
        values = {"name": name, "phone": number}
        if pin:
            values["pin_hash"] = _hash_pin(pin)
        try:
            with self.engine.begin() as conn:
                changed = conn.execute(
                    update(Operator).where(Operator.id == op_id).values(values)
                ).rowcount
        except IntegrityError:
            raise RotaError(f"{number} is an operator already") from None
        if not changed:
            raise RotaError(f"no operator {op_id}")
        new_pin = ", new PIN" if pin else ""
        audit.record(
            self.engine, by, "rota-operator-edited", f"{op_id} {name} {mask(number)}{new_pin}"
        )
        return OperatorInfo(op_id, name, number)

    def set_active(self, op_id: int, active: bool, *, by: str) -> int:
        """(De)activate an operator. Someone deactivated has left the rota, so a sighting
        must never be forwarded to them: their shift under way ends now and their later
        shifts go, which shows up at once as a gap. Returns how many shifts that touched."""
        now = utcnow()
        with self.engine.begin() as conn:
            name = conn.scalar(select(Operator.name).where(Operator.id == op_id))
            if name is None:
                raise RotaError(f"no operator {op_id}")
            conn.execute(update(Operator).where(Operator.id == op_id).values(active=active))
            touched = 0
            if not active:
                mine = Shift.operator_id == op_id
                touched += conn.execute(delete(Shift).where(mine, Shift.start >= now)).rowcount
                touched += conn.execute(
                    update(Shift).where(mine, Shift.start < now, Shift.end > now).values(end=now)
                ).rowcount
        action = "rota-operator-activated" if active else "rota-operator-deactivated"
        audit.record(self.engine, by, action, f"{op_id} {name}; {touched} shift(s) ended")
        return int(touched)

    def shift(self, shift_id: int) -> coverage.Shift | None:
        with self.engine.connect() as conn:
            r = conn.execute(select(Shift).where(Shift.id == shift_id)).first()
        return coverage.Shift(r.id, r.operator_id, r.start, r.end, r.role) if r else None

    def update_shift(
        self,
        shift_id: int,
        operator_id: int,
        start: datetime,
        end: datetime,
        *,
        role: str = "primary",
        by: str,
    ) -> None:
        if end <= start:
            raise RotaError("a shift must end after it starts")
        if role not in ("primary", "backup"):
            raise RotaError("a shift's role is primary or backup")
        values = {"operator_id": operator_id, "start": start, "end": end, "role": role}
        with self.engine.begin() as conn:
            conn.execute(update(Shift).where(Shift.id == shift_id).values(values))
        changed = self.shift(shift_id)
        if changed is None:
            raise RotaError(f"no shift {shift_id}")
        audit.record(self.engine, by, "rota-shift-edited", self.describe(changed))

    def delete_shift(self, shift_id: int, *, by: str) -> bool:
        found = self.shift(shift_id)
        if found is None:
            return False
        with self.engine.begin() as conn:
            conn.execute(delete(Shift).where(Shift.id == shift_id))
        audit.record(self.engine, by, "rota-shift-deleted", self.describe(found))
        return True

    def describe(self, shift: coverage.Shift) -> str:
        """A shift in words for the audit log, which outlives the rows it talks about."""
        op = self.operator(shift.operator_id)
        who = op.name if op else f"operator {shift.operator_id}"
        return (
            f"shift {shift.id}: {who} {shift.role} "
            f"{shift.start:%Y-%m-%d %H:%M} to {shift.end:%Y-%m-%d %H:%M} UTC"
        )

    # -- read by the dashboard --------------------------------------------------------
    def next_handover(
        self, now: datetime | None = None, days: float = 7
    ) -> tuple[datetime, OperatorInfo | None, OperatorInfo | None] | None:
        """When the people on duty next change within `days`, and who takes over (primary,
        backup; both None when a gap begins). None when nothing changes in that time."""
        start = now or utcnow()
        shifts = self.shifts(start, start + timedelta(days=days))

        def who(at: datetime) -> tuple[int | None, int | None]:
            duty = coverage.on_duty(shifts, at)
            return (
                duty.primary.operator_id if duty.primary else None,
                duty.backup.operator_id if duty.backup else None,
            )

        now_on = who(start)
        at = coverage.next_change(shifts, start)
        while at is not None:
            primary, backup = who(at)
            if (primary, backup) != now_on:
                return (
                    at,
                    self.operator(primary) if primary is not None else None,
                    self.operator(backup) if backup is not None else None,
                )
            at = coverage.next_change(shifts, at)
        return None
