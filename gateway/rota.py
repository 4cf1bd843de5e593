"""Operators and their shifts: who gets a forwarded sighting, and where cover is missing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from gateway import coverage
from gateway.db import utcnow
from gateway.models import Operator, Shift
from gateway.phone import normalise


class RotaError(ValueError):
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
                        "pin_hash": generate_password_hash(pin) if pin else "",
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
        return bool(stored) and check_password_hash(str(stored), pin)

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
