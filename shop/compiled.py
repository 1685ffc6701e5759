"""Querysets compiled to SQL once per database connection, then run with new values.

Building and compiling a queryset costs far more Python than running it: the cart read of
every cart answer took ~2 ms of CPU, of which compiling was ~1.1 ms and PostgreSQL's answer
~0.25 ms; a cart's lines (annotated, three joins) ~4.7 ms. A checkout's requests run the same
few shapes dozens of times with only the ids changing, so those shapes are compiled once:

    CART_BY_ID = CompiledQuery(
        lambda public_id: Cart.objects.select_related("market").filter(public_id=public_id)[:1],
        public_id=str,
    )
    cart = next(iter(CART_BY_ID.objects(public_id="cart_…")), None)

The builder is called once per connection with placeholder values (one per slot, of the
slot's type: int, str, datetime or IPAddress) that cannot occur in real data; their positions
in the compiled parameters are where each run's values go, adapted as the ORM adapts values
of that type. So a slot must be a plain filter value (not part of an `IN` list whose length
varies, not a value a lookup transforms, such as `contains`), and everything else in the
queryset must be fixed. `objects()` yields model instances as the queryset would (select_related
objects, annotations, database converters); `rows()` the rows of a values_list queryset.

On PostgreSQL the statement is also prepared on the server once per connection
(shop.prepared.fetch_prepared), so PostgreSQL does not parse and plan it on every run either.
It is logged, counted by CaptureQueriesContext and wrapped by execute wrappers exactly as the
queryset's statement would be.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import QuerySet
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

from shop.prepared import fetch_prepared


class IPAddress:
    """The slot type of a GenericIPAddressField's value (given as text)."""


_SLOT_TYPES = (int, str, datetime, IPAddress)
_placeholders = itertools.count(1)
# Never id(self): a query garbage-collected with its compiled form still on the connection
# would hand that form to a new query given the same id (seen in CI: another slot set).
_query_numbers = itertools.count(1)


@dataclass
class _Compiled:
    sql: str
    params: list
    positions: dict[str, list[int]]  # slot name -> indexes in params
    compiler: Any
    converters: dict
    for_update: bool


class CompiledQuery:
    """One queryset shape; see the module docstring."""

    def __init__(self, build: Callable[..., QuerySet], **slots: type):
        for name, kind in slots.items():
            if kind not in _SLOT_TYPES:
                raise TypeError(f"slot {name}: int, str, datetime or IPAddress, not {kind!r}")
        self.build = build
        self.slots = slots
        self.key = f"_emporium_compiled_{next(_query_numbers)}"

    def _compiled(self, using: str) -> _Compiled:
        connection = connections[using]
        found = getattr(connection, self.key, None)
        if found is not None:
            return found
        placeholders = {name: _placeholder(kind) for name, kind in self.slots.items()}
        queryset = self.build(**placeholders)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        params = list(params)
        positions = {}
        for name, placeholder in placeholders.items():
            # As the ORM handed it to the database:
            value = _adapt(connection, self.slots[name], placeholder)
            at = [i for i, p in enumerate(params) if type(p) is type(value) and p == value]
            if not at:
                raise ValueError(f"slot {name} is not a parameter of the compiled query")
            positions[name] = at
        fields = [s[0] for s in compiler.select[: compiler.col_count]]
        found = _Compiled(
            sql=sql,
            params=params,
            positions=positions,
            compiler=compiler,
            converters=compiler.get_converters(fields),
            for_update=bool(queryset.query.select_for_update),
        )
        setattr(connection, self.key, found)
        return found

    def _rows(self, using: str, values: dict) -> tuple[_Compiled, list]:
        if values.keys() != self.slots.keys():
            raise TypeError(f"give exactly {sorted(self.slots)}")
        compiled = self._compiled(using)
        connection = connections[using]
        if compiled.for_update and connection.get_autocommit():
            raise TransactionManagementError(
                "select_for_update cannot be used outside of a transaction."
            )
        params = list(compiled.params)
        for name, value in values.items():
            kind = self.slots[name]
            if kind is datetime:
                if not isinstance(value, datetime):
                    raise TypeError(f"slot {name}: a datetime, not {type(value).__name__}")
            elif kind is IPAddress:
                value = str(value)
            elif type(value) is not kind:
                value = kind(value)
            value = _adapt(connection, kind, value)
            for i in compiled.positions[name]:
                params[i] = value
        if connection.vendor == "postgresql":
            # Planned once per connection too: these shapes are the hottest reads there are.
            rows = fetch_prepared(connection, compiled.sql, params)
        else:
            with connection.cursor() as cursor:
                cursor.execute(compiled.sql, params)
                rows = cursor.fetchall()
        if compiled.converters:
            rows = [
                list(row) for row in compiled.compiler.apply_converters(rows, compiled.converters)
            ]
        return compiled, rows

    def rows(self, using: str = DEFAULT_DB_ALIAS, **values) -> list:
        """The rows (as a values_list queryset gives them, converted)."""
        return self._rows(using, values)[1]

    def objects(self, using: str = DEFAULT_DB_ALIAS, **values) -> Iterator:
        """Model instances, as iterating the queryset gives them."""
        compiled, rows = self._rows(using, values)
        compiler = compiled.compiler
        klass_info, select = compiler.klass_info, compiler.select
        model = klass_info["model"]
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        init_list = [f[0].target.attname for f in select[first:last]]
        populators = get_related_populators(klass_info, select, using)
        annotations = compiler.annotation_col_map
        for row in rows:
            obj = model.from_db(using, init_list, row[first:last])
            for populator in populators:
                populator.populate(row, obj)
            for name, position in (annotations or {}).items():
                setattr(obj, name, row[position])
            yield obj


def _adapt(connection, kind: type, value):
    """`value` as the ORM hands a parameter of its type to the database (datetimes made
    naive UTC or text, IP addresses an address object, where the backend wants that)."""
    if kind is datetime:
        return connection.ops.adapt_datetimefield_value(value)
    if kind is IPAddress:
        return connection.ops.adapt_ipaddressfield_value(value)
    return value


def _placeholder(kind: type):
    n = next(_placeholders)
    if kind is datetime:
        return datetime(1901, 1, 1, tzinfo=UTC) + timedelta(microseconds=n)  # before any data
    if kind is IPAddress:
        return f"0.0.{n // 256 % 256}.{n % 256}"  # "this network": no buyer comes from it
    if kind is int:
        return -(7_300_000_000_000 + n)  # no id, quantity or amount is ever this
    return f"\x1fslot-{n}\x1f"  # a control character no stored text may hold (shop.text)
