"""Bulk writes for rows nobody reads back one by one: COPY on PostgreSQL, multi-row statements
elsewhere (the embedded SQLite demo). Used by the batched catalog writer (batch_writing), which
validates every value before it gets here.
"""

from django.db import DEFAULT_DB_ALIAS, connection, connections

INSERT_CHUNK_PARAMS = 30_000  # below SQLite's 32,766 bound variables; PostgreSQL allows 65,535


def insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    """Insert plain value tuples (validated by the caller) for rows nobody reads back (prices,
    identifiers, option links): building 100,000 model instances for bulk_create, and binding
    their parameters one by one, costs more than the database spends storing them.

    PostgreSQL gets them through COPY; other databases (the embedded SQLite demo) through
    multi-row INSERTs.
    """
    if not rows:
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = ", ".join(quote(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholder = "(" + ", ".join(["%s"] * len(names)) + ")"
        per_statement = max(1, INSERT_CHUNK_PARAMS // len(names))
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))}",
                [value for row in chunk for value in row],
            )


def insert_objects(model, objects: list) -> None:
    """bulk_create, with primary keys set on the objects; COPY on PostgreSQL (see insert_rows).

    On PostgreSQL the keys are taken from the table's sequence first, so the objects know them
    before they are copied in, as bulk_create's RETURNING would tell them.
    """
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects)
        return
    meta = model._meta
    for obj, pk in zip(objects, _reserve_ids(model, len(objects)), strict=True):
        obj.pk = pk
    fields = list(meta.concrete_fields)
    # Only dates and JSON need converting for COPY; reading the rest as is saves a call per
    # field per row (100,000 rows x 10 fields).
    plain = {"AutoField", "BigAutoField", "CharField", "SlugField", "TextField", "ForeignKey"}
    plain |= {"IntegerField", "PositiveIntegerField", "PositiveSmallIntegerField"}
    plain |= {"BigIntegerField", "BooleanField"}
    db = connections[DEFAULT_DB_ALIAS]
    readers = [
        (
            (lambda obj, f=f: getattr(obj, f.attname))
            if f.get_internal_type() in plain
            else (lambda obj, f=f: f.get_db_prep_save(f.pre_save(obj, True), db))
        )
        for f in fields
    ]
    rows = []
    for obj in objects:
        obj._prepare_related_fields_for_save(operation_name="bulk_create")
        rows.append(tuple(read(obj) for read in readers))
        obj._state.adding, obj._state.db = False, db.alias
    insert_rows(model, [f.name for f in fields], rows)


def update_rows(model, names: list[str], rows: list[tuple]) -> None:
    """UPDATE rows given as (pk, *values) tuples, one statement per chunk."""
    if not rows:
        return
    if connection.vendor != "postgresql":  # the embedded SQLite demo: Django's own way
        objects = [model(pk=row[0], **dict(zip(names, row[1:], strict=True))) for row in rows]
        model.objects.bulk_update(objects, names, batch_size=500)
        return
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    columns = [model._meta.get_field(name) for name in names]
    casts = [f"%s::{c.db_type(connection)}" for c in columns]
    placeholder = "(%s::bigint, " + ", ".join(casts) + ")"
    sets = ", ".join(f"{quote(c.column)} = v.column{i + 2}" for i, c in enumerate(columns))
    per_statement = max(1, INSERT_CHUNK_PARAMS // (len(names) + 1))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"UPDATE {table} SET {sets} FROM (VALUES "
                f"{', '.join([placeholder] * len(chunk))}) AS v "
                f"WHERE {table}.{quote(model._meta.pk.column)} = v.column1",
                [value for row in chunk for value in row],
            )


class NewRow:
    """A row to insert, as plain attributes; `pk` is set by insert_new."""

    def __init__(self, **values):
        self.pk = None
        self.__dict__.update(values)


def insert_new(model, attnames: list[str], rows: list[NewRow]) -> None:
    """Insert NewRows (their `attnames`, validated by the caller) and set their `pk`.

    On PostgreSQL the keys come from the table's sequence, then COPY; elsewhere bulk_create.
    """
    if not rows:
        return
    if connection.vendor != "postgresql":
        objects = [model(**{name: getattr(row, name) for name in attnames}) for row in rows]
        model.objects.bulk_create(objects)
        for row, obj in zip(rows, objects, strict=True):
            row.pk = obj.pk
        return
    for row, pk in zip(rows, _reserve_ids(model, len(rows)), strict=True):
        row.pk = pk
    columns = [model._meta.pk.attname, *attnames]
    insert_rows(model, columns, [tuple(getattr(r, n) for n in ["pk", *attnames]) for r in rows])


def _reserve_ids(model, count: int) -> list[int]:
    meta = model._meta
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, count],
        )
        return [pk for (pk,) in cursor.fetchall()]
