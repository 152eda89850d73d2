"""Set-based writes: many rows in one SQL statement, whatever their number.

Django's ``bulk_create``/``bulk_update`` split their work in batches of at most 999 bound
parameters on SQLite (about 55 products per INSERT), so their query count grows with the
number of rows. Here the rows travel as *one* JSON parameter and the database unpacks it
(``json_each`` on SQLite, ``jsonb_to_recordset`` on PostgreSQL): one INSERT and one UPDATE,
a constant number of queries for 10 or 10,000 products.

Columns come from the model's ``_meta``; a column absent from the rows gets the field's default,
so a field added to the model later keeps working. Values in ``rows`` must be JSON-ready (a
Decimal as a string, a bool as a bool). No signals, no ``save()``: the caller is a service that
owns the consequences.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection, models


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _source(fields: list[models.Field], with_pk: bool, pk: models.Field) -> tuple[str, str]:
    """A FROM clause exposing ``fields`` (and the pk) of the JSON parameter as columns."""
    wanted = ([pk] if with_pk else []) + fields
    if connection.vendor == "postgresql":
        types = ", ".join(
            f"{connection.ops.quote_name(f.attname)} "
            + (f.rel_db_type(connection) if f.primary_key else f.db_type(connection))
            for f in wanted
        )
        return "jsonb_to_recordset(%s::jsonb)", f"j({types})"
    if connection.vendor == "sqlite":
        exprs = ", ".join(
            f"json_extract(value, '$.{f.attname}') AS {connection.ops.quote_name(f.attname)}"
            for f in wanted
        )
        return f"(SELECT {exprs} FROM json_each(%s))", "j"  # noqa: S608 (names from _meta)
    raise NotImplementedError(connection.vendor)  # pragma: no cover


def insert_rows(
    model: type[models.Model], rows: list[dict[str, Any]], *, constants: dict[str, Any]
) -> int:
    """INSERT every row in one statement. Keys of ``rows`` and ``constants`` are attnames."""
    if not rows:
        return 0
    columns = _columns(model)
    varying = [f for f in columns if f.attname in rows[0]]
    q = connection.ops.quote_name
    select: list[str] = []
    params: list[Any] = []
    for field in columns:
        if field in varying:
            select.append(f"j.{q(field.attname)}")
            continue
        value = constants[field.attname] if field.attname in constants else field.get_default()
        select.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    source, alias = _source(varying, False, model._meta.pk)
    sql = (
        f"INSERT INTO {q(model._meta.db_table)} ({', '.join(q(f.column) for f in columns)}) "  # noqa: S608
        f"SELECT {', '.join(select)} FROM {source} AS {alias}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(rows)])
        return cursor.rowcount


def update_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    *,
    fields: Iterable[str],
    constants: dict[str, Any] | None = None,
    where: dict[str, Any] | None = None,
) -> int:
    """UPDATE rows by pk in one statement. A value left None in a row keeps the column as is.

    ``where`` adds equality conditions on the table (e.g. ``{"shop_id": 3}``) so that a row
    can only ever touch objects of the right tenant.
    """
    if not rows:
        return 0
    constants = constants or {}
    meta = model._meta
    pk = meta.pk
    q = connection.ops.quote_name
    table = q(meta.db_table)
    varying = [meta.get_field(name) for name in fields]
    sets: list[str] = []
    params: list[Any] = []
    for field in varying:
        sets.append(
            f"{q(field.column)} = COALESCE(j.{q(field.attname)}, {table}.{q(field.column)})"
        )
    for name, value in constants.items():
        field = meta.get_field(name)
        sets.append(f"{q(field.column)} = %s")
        params.append(field.get_db_prep_save(value, connection))
    source, alias = _source(varying, True, pk)
    conditions = [f"{table}.{q(pk.column)} = j.{q(pk.attname)}"]
    where_params: list[Any] = []
    for name, value in (where or {}).items():
        field = meta.get_field(name)
        conditions.append(f"{table}.{q(field.column)} = %s")
        where_params.append(field.get_db_prep_save(value, connection))
    sql = (
        f"UPDATE {table} SET {', '.join(sets)} FROM {source} "  # noqa: S608 (names from _meta)
        f"AS {alias} "
        f"WHERE {' AND '.join(conditions)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, json.dumps(rows), *where_params])
        return cursor.rowcount
