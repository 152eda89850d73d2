"""Set-based writes: many rows in one SQL statement, whatever their number.

Django's ``bulk_create``/``bulk_update`` split their work in batches of at most 999 bound
parameters on SQLite (about 55 products per INSERT), so their query count grows with the
number of rows. Here the rows travel as *one* JSON parameter and the database unpacks it
(``json_each`` on SQLite, ``jsonb_to_recordset`` on PostgreSQL): one INSERT or one UPDATE for
10 or 10,000 rows.

Columns come from the model's ``_meta``. Keys of a row are attnames (``shop_id``); values must
be JSON-ready (a Decimal as its text, a bool as a bool). An INSERT fills a column a row leaves
out with the field's default; an UPDATE writes only the fields a row contains (an explicit
None sets NULL). No signals, no ``save()``: the caller is a service that owns the
consequences.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.db import connection, models

_MASK = "_mask"


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _field(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field), name
    return field


def _db_type(field: models.Field) -> str:
    if field.primary_key:  # the type a reference to it has: bigint, not bigserial
        return str(cast(Any, field).rel_db_type(connection))
    return str(field.db_type(connection))


def _source(columns: list[tuple[str, str]]) -> tuple[str, str]:
    """A FROM clause exposing ``columns`` (attname, PostgreSQL type) of the JSON parameter."""
    q = connection.ops.quote_name
    if connection.vendor == "postgresql":
        types = ", ".join(f"{q(name)} {db_type}" for name, db_type in columns)
        return "jsonb_to_recordset(%s::jsonb)", f"j({types})"
    if connection.vendor == "sqlite":
        exprs = ", ".join(f"json_extract(value, '$.{name}') AS {q(name)}" for name, _t in columns)
        return f"(SELECT {exprs} FROM json_each(%s))", "j"  # noqa: S608 (names from _meta)
    raise NotImplementedError(connection.vendor)  # pragma: no cover


def _insert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    constants: dict[str, Any],
    returning: Sequence[str],
) -> tuple[str, list[Any]]:
    columns = _columns(model)
    keys: set[str] = set()
    for row in rows:
        keys.update(row)
    q = connection.ops.quote_name
    varying = [f for f in columns if f.attname in keys and f.attname not in constants]
    select: list[str] = []
    params: list[Any] = []
    for field in columns:
        if field in varying:
            if field.null or not field.has_default():
                select.append(f"j.{q(field.attname)}")
            else:  # a row that leaves the column out gets the default
                select.append(f"COALESCE(j.{q(field.attname)}, %s)")
                params.append(field.get_db_prep_save(field.get_default(), connection))
            continue
        value = constants[field.attname] if field.attname in constants else field.get_default()
        select.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    source, alias = _source([(f.attname, _db_type(f)) for f in varying])
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in columns)}) "  # noqa: S608
        f"SELECT {', '.join(select)} FROM {source} AS {alias}"
    )
    if returning:
        sql += " RETURNING " + ", ".join(q(_field(model, name).column) for name in returning)
    return sql, [*params, json.dumps(rows)]


def insert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    constants: dict[str, Any] | None = None,
) -> int:
    """INSERT every row in one statement; the number of rows inserted."""
    if not rows:
        return 0
    sql, params = _insert(model, rows, constants or {}, ())
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def insert_rows_returning(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    returning: Sequence[str],
    constants: dict[str, Any] | None = None,
) -> list[tuple[Any, ...]]:
    """INSERT every row in one statement and return ``returning`` columns of each new row.

    The order of the returned tuples is not the order of ``rows``: return a column that
    identifies each row (a unique username, a user id) to match them.
    """
    if not rows:
        return []
    sql, params = _insert(model, rows, constants or {}, returning)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(r) for r in cursor.fetchall()]


def update_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    fields: Iterable[str],
    constants: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
) -> int:
    """UPDATE rows by pk in one statement. Each row writes only the ``fields`` it contains.

    ``where`` adds equality conditions on the table (e.g. ``{"shop_id": 3}``) so that a row
    can only ever touch objects of the right tenant.
    """
    if not rows:
        return 0
    pk = model._meta.pk
    assert pk is not None
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    varying = [_field(model, name) for name in fields]
    assert len(varying) < 63, "one bit of the mask per field"
    sets: list[str] = []
    params: list[Any] = []
    for bit, field in enumerate(varying):
        column, attname = q(field.column), q(field.attname)
        sets.append(
            f"{column} = CASE WHEN (j.{q(_MASK)} & {1 << bit}) <> 0 "
            f"THEN j.{attname} ELSE {table}.{column} END"
        )
    for name, value in (constants or {}).items():
        field = _field(model, name)
        sets.append(f"{q(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    names = [f.attname for f in varying]
    payload = []
    for row in rows:
        mask = sum(1 << bit for bit, name in enumerate(names) if name in row)
        payload.append({**row, _MASK: mask})
    typed = [(pk.attname, _db_type(pk)), (_MASK, "bigint")]
    typed += [(f.attname, _db_type(f)) for f in varying]
    source, alias = _source(typed)
    conditions = [f"{table}.{q(pk.column)} = j.{q(pk.attname)}"]
    where_params: list[Any] = []
    # On SQLite, a unary plus keeps the planner from driving the join with an index on the
    # condition (``shop_id``): it would scan the JSON rows once per product of the shop (minutes
    # for 10,000 rows) instead of looking each JSON row up by primary key.
    plus = "+" if connection.vendor == "sqlite" else ""
    for name, value in (where or {}).items():
        field = _field(model, name)
        conditions.append(f"{plus}{table}.{q(field.column)} = %s")
        where_params.append(field.get_db_prep_save(value, connection))
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} FROM {source} "  # noqa: S608 (names from _meta)
        f"AS {alias} WHERE {' AND '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(payload), *where_params])
        return cursor.rowcount
