"""A Core statement compiled once for one database and run on the driver's own cursor.

For the few statements on a modem's critical path (gateway/outbox/sent_record.py): a
SQLAlchemy execute spends about 0.3 ms of Python on its cache lookup and result set,
which the radio waits for between two sends. The SQL and the parameter conversions still
come from SQLAlchemy (the dialect's placeholders, SQLite's datetime text), so the
statement is the same one the rest of the gateway runs, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.expression import ClauseElement


class DriverStatement:
    def __init__(
        self, statement: ClauseElement, dialect: Dialect, columns: Sequence[str] | None = None
    ) -> None:
        """`columns`: for an INSERT without values, the columns each row gives."""
        compiled = statement.compile(dialect=dialect, column_keys=columns)
        assert isinstance(compiled, SQLCompiler)
        self.sql = compiled.string
        self._compiled = compiled
        self._order = compiled.positiontup  # the names in placeholder order, or None
        self._convert: dict[str, Callable[[Any], Any]] = {}
        for bind, name in compiled.bind_names.items():
            convert = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if convert is not None:
                self._convert[name] = convert

    def params(self, values: Mapping[str, Any]) -> tuple[Any, ...] | dict[str, Any]:
        """The driver's parameters: the statement's own literals with `values`, converted
        as SQLAlchemy would, in the dialect's paramstyle."""
        given = self._compiled.construct_params(dict(values))
        for name, convert in self._convert.items():
            if name in given and given[name] is not None:
                given[name] = convert(given[name])
        if self._order is None:
            return dict(given)
        return tuple(given[name] for name in self._order)

    def execute(self, cursor: Any, values: Mapping[str, Any]) -> Any:
        cursor.execute(self.sql, self.params(values))
        return cursor

    def execute_many(self, cursor: Any, rows: Iterable[Mapping[str, Any]]) -> None:
        cursor.executemany(self.sql, [self.params(row) for row in rows])
