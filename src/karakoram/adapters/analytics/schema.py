"""The Arrow schemas of the analytical copy's files, derived from the columns the refresh
declares (`services.statistics.analytical_copy`), and the conversions into Arrow tables.

Only the daily totals (`CUBE`) are this adapter's own: an index it keeps beside the goods items
to answer bulletins faster, made of item columns and counts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from karakoram.services.statistics.analytical_copy import (
    DECLARATION_COLUMNS,
    ITEM_COLUMNS,
    PARTNER_COLUMNS,
    ColumnKind,
    Columns,
)
from karakoram.services.statistics.conversion import RateRows

_MASS = pa.decimal128(18, 3)
_VALUE = pa.decimal128(18, 4)
_FACTOR = pa.decimal128(20, 12)

#: how each kind of column is stored
ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    ColumnKind.TEXT: pa.string(),
    ColumnKind.INT: pa.int64(),
    ColumnKind.ORDINAL: pa.int32(),
    ColumnKind.FLOAT: pa.float64(),
    ColumnKind.BOOL: pa.bool_(),
    ColumnKind.DATE: pa.date32(),
    ColumnKind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnKind.MASS: _MASS,
    ColumnKind.AMOUNT: _VALUE,
}


def arrow_schema(columns: Columns) -> pa.Schema:
    return pa.schema([(name, ARROW_TYPES[kind]) for name, kind in columns])


ITEMS = arrow_schema(ITEM_COLUMNS)
DECLARATIONS = arrow_schema(DECLARATION_COLUMNS)
PARTNER = arrow_schema(PARTNER_COLUMNS)

#: the item columns the daily totals are grouped by (those of `CUBE_DIMS` and the day and
#: currency a value needs to be converted)
_CUBE_KEYS = (
    "released_date", "direction", "partner", "section", "chapter", "office", "crossing",
    "currency",
)  # fmt: skip
CUBE_DIMS = frozenset(_CUBE_KEYS) - {"released_date", "currency"}

#: daily totals of released goods items by the dimensions most bulletins use: what a refresh
#: adds to it is the sum of what it adds to `items`, so sums over it equal sums over the items
CUBE = pa.schema(
    [
        *(ITEMS.field(name) for name in _CUBE_KEYS),
        ("value", _VALUE),  # a day's value of one group stays far below 10^14
        ("net_mass", _MASS),
        ("items", pa.int64()),
        ("declarations", pa.int64()),
    ]
)
# column names only, no value
CUBE_SQL = (
    f"SELECT {', '.join(_CUBE_KEYS)}, "  # noqa: S608
    "CAST(sum(value) AS DECIMAL(18, 4)) AS value, "
    "CAST(sum(net_mass) AS DECIMAL(18, 3)) AS net_mass, count(*) AS items, "
    "count(*) FILTER (WHERE seq = 1) AS declarations FROM {source} GROUP BY ALL"
)

#: every kind of file, by its folder
SCHEMAS = {"items": ITEMS, "declarations": DECLARATIONS, "partner": PARTNER, "cube": CUBE}


def table_of_rows(rows: Sequence[Mapping[str, Any]], schema: pa.Schema) -> pa.Table:
    """Rows as a table of `schema`; decimals may come as text."""
    return table_of_columns({f.name: [row[f.name] for row in rows] for f in schema}, schema)


def table_of_columns(data: Mapping[str, list[Any]], schema: pa.Schema) -> pa.Table:
    """Columns as a table of `schema`; decimals may come as text."""
    columns = []
    for field in schema:
        values = data[field.name]
        if pa.types.is_decimal(field.type):
            columns.append(_decimals(values, field.type))
        else:
            columns.append(pa.array(values, field.type))
    return pa.Table.from_arrays(columns, schema=schema)


def table_of(
    data: Mapping[str, list[Any]] | Sequence[Mapping[str, Any]], schema: pa.Schema
) -> pa.Table:
    """Columns or rows as a table of `schema`."""
    if isinstance(data, Mapping):
        return table_of_columns(data, schema)
    return table_of_rows(data, schema)


def _decimals(values: list[Any], kind: pa.DataType) -> pa.Array:
    text = pa.array([v if isinstance(v, str) else str(v) for v in values], pa.string())
    try:
        return pc.cast(text, kind)
    except pa.ArrowInvalid:  # more decimals than the column keeps: round half-up, as shown
        quantum = Decimal(1).scaleb(-kind.scale)
        return pa.array(
            [Decimal(v).quantize(quantum, rounding=ROUND_HALF_UP) for v in text.to_pylist()],
            kind,
        )


def rates_table(rows: RateRows) -> pa.Table:
    """The conversion factors a query joins its values with."""
    return pa.table(
        {
            "currency": pa.array([r[0] for r in rows], pa.string()),
            "day": pa.array([r[1] for r in rows], pa.date32()),
            "factor": pa.array([r[2] for r in rows], _FACTOR),
        }
    )
