"""What the analytical copy holds, declared once, and how a refresh's changes become its rows.

The refresh writes three tables: released goods items (`ITEM_COLUMNS`), declarations with their
TRS stage durations (`DECLARATION_COLUMNS`) and the partner's declarations of shared
consignments (`PARTNER_COLUMNS`). Each is declared here as (name, kind); the analytics adapter
derives its storage schema from these declarations and declares no column of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from karakoram.domain.statistics.figures import section_of
from karakoram.domain.statistics.stages import MEASURED, stage_times, timeline
from karakoram.services.context import NodeContext
from karakoram.services.ports import AnalyticsStore

# --- what a refresh moves ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Watermarks:
    """The last id of each append-only source table that the analytical copy holds."""

    events: int = 0
    arrivals: int = 0
    partner_records: int = 0


@dataclass(frozen=True, slots=True)
class ChangedDeclaration:
    """A declaration with something new since the last refresh, with all its events."""

    id: int
    mrn: str
    direction: str
    status: str
    ucr: str
    office: str
    crossing: str
    channel: str | None
    trader: str
    aeo: bool
    partner: str  # the counterpart's country
    currency: str  # of the invoice
    hs_code: str  # of the first goods item: the declaration's HS section in the TRS
    lodged_at: datetime
    events: list[tuple[str, datetime]]
    arrived_at: datetime | None
    #: when an inbound truck carrying it was presented (imports; None without one)
    presented_at: datetime | None = None
    #: lodged from a fallback file (`karakoram fallback`): its times are the capture's
    fallback: bool = False


@dataclass(frozen=True, slots=True)
class PartnerDeclaration:
    """The partner's declaration of a consignment, as it came in a message."""

    record_id: int
    ucr: str
    sender: str
    mrn: str
    declaration: Mapping[str, Any]
    released_at: str


#: the rows a source may hand over as they are (see `SourceRows`), column names in tuple order
HEAD_COLUMNS = (
    "id", "mrn", "type", "status", "ucr", "office", "channel", "lodged_at", "exporter_id",
    "importer_id", "currency", "header", "hs_code",
)  # fmt: skip
EVENT_COLUMNS = ("declaration_id", "action", "at")
ARRIVAL_COLUMNS = ("ucr", "at")


@dataclass(frozen=True, slots=True)
class SourceRows:
    """What changed as the source database's own rows, tuples in the order of the column names
    beside each, for a store that derives the copy's rows itself in bulk (`ChangedDeclaration`
    and `item_columns` say what it derives). Timestamps are ISO text in UTC, without a zone;
    the header is its JSON text."""

    #: goods items of the declarations released in the pass (`RELEASED_COLUMNS`; numbers as text)
    items: list[tuple[Any, ...]]
    #: each changed declaration (`HEAD_COLUMNS`), with its first goods item's code
    heads: list[tuple[Any, ...]]
    #: every event of the changed declarations up to the pass's watermark (`EVENT_COLUMNS`)
    events: list[tuple[Any, ...]]
    #: the arrivals of their consignments (`ARRIVAL_COLUMNS`)
    arrivals: list[tuple[Any, ...]]
    #: the presentations of inbound trucks carrying the imports' consignments (`ARRIVAL_COLUMNS`)
    presentations: list[tuple[Any, ...]]
    #: the MRNs among them that were lodged from a fallback file
    fallback: list[str]


@dataclass(frozen=True, slots=True)
class Changes:
    upto: Watermarks
    #: goods items of declarations released since the last refresh, by column
    released: dict[str, list[Any]]
    touched: list[ChangedDeclaration]
    partner: list[PartnerDeclaration]
    #: clearance events left for the next pass (a refresh goes in bounded passes)
    remaining: int = 0
    #: the same changes as the source's rows (then `released` and `touched` are empty): the
    #: store derives the copy's rows from them (`AnalyticsStore.apply_rows`)
    rows: SourceRows | None = None


# --- the columns, declared once ---------------------------------------------------------------


class ColumnKind(StrEnum):
    """What a column of the analytical copy holds; the store picks a storage type for each."""

    TEXT = "str"
    INT = "int"  # an id
    ORDINAL = "ordinal"  # a goods item's position in its declaration
    FLOAT = "float"
    BOOL = "bool"
    DATE = "date"
    TIMESTAMP = "timestamp"  # in UTC
    MASS = "mass"  # kilograms, kept to the gram
    AMOUNT = "amount"  # money, kept to 1/10,000 of the currency unit


Columns = tuple[tuple[str, ColumnKind], ...]
_T, _I, _F, _B = ColumnKind.TEXT, ColumnKind.INT, ColumnKind.FLOAT, ColumnKind.BOOL
_D, _TS, _M, _A = ColumnKind.DATE, ColumnKind.TIMESTAMP, ColumnKind.MASS, ColumnKind.AMOUNT
_HS = (("hs_code", _T), ("hs6", _T), ("heading", _T), ("chapter", _T), ("section", _T))

#: goods items of released declarations, with what their declaration says (see `item_columns`)
ITEM_COLUMNS: Columns = (
    ("declaration_id", _I), ("seq", ColumnKind.ORDINAL), ("mrn", _T), ("direction", _T),
    ("ucr", _T), ("partner", _T), ("office", _T), ("crossing", _T), ("trader", _T),
    ("aeo", _B), ("channel", _T), *_HS, ("origin", _T), ("quantity", _F), ("unit", _T),
    ("gross_mass", _M), ("net_mass", _M), ("value", _A), ("currency", _T),
    ("lodged_date", _D), ("released_date", _D),
)  # fmt: skip

#: the TRS stage durations a declaration row ends with: (stage, column)
_DURATION_COLUMNS = tuple((s.value, f"to_{s.value}_s") for s in MEASURED)

#: one row per declaration, in the order `_declaration_row` gives them
DECLARATION_COLUMNS: Columns = (
    ("declaration_id", _I), ("mrn", _T), ("direction", _T), ("status", _T), ("ucr", _T),
    ("office", _T), ("crossing", _T), ("channel", _T), ("trader", _T), ("aeo", _B),
    ("section", _T), ("chapter", _T), ("pre_lodged", _B), ("out_of_order", _B), ("open", _B),
    ("ended_unreleased", _B), ("partner_inspection_accepted", _B), ("start_at", _TS),
    ("lodged_at", _TS), ("total_s", _F),
    *((column, _F) for _, column in _DURATION_COLUMNS),
    ("fallback", _B), ("presented_at", _TS),
)  # fmt: skip

#: the partner's declarations of consignments both sides declared, a row per goods item
PARTNER_COLUMNS: Columns = (
    ("record_id", _I), ("ucr", _T), ("sender", _T), ("partner_mrn", _T),
    ("seq", ColumnKind.ORDINAL), *_HS, ("quantity", _F), ("gross_mass", _M), ("value", _A),
    ("currency", _T), ("released_date", _D),
)  # fmt: skip

#: the columns of released goods items a source hands over (one list per column); what the
#: analytical copy needs of their declarations comes with the declarations (`touched`)
RELEASED_COLUMNS = (
    "declaration_id", "seq", "hs_code", "origin", "quantity", "unit", "gross_mass",
    "net_mass", "value",
)  # fmt: skip


def names(columns: Columns) -> tuple[str, ...]:
    return tuple(name for name, _ in columns)


# --- changes as rows --------------------------------------------------------------------------


def _hs_parts(hs_code: str) -> dict[str, str]:
    return {
        "hs6": hs_code[:6],
        "heading": hs_code[:4],
        "chapter": hs_code[:2],
        "section": section_of(hs_code[:2]),
    }


def item_columns(
    c: Mapping[str, list[Any]], heads: Mapping[int, ChangedDeclaration]
) -> dict[str, list[Any]]:
    """The analytical copy's item columns: the source's item columns, and what each item's
    declaration (among those changed: a release is a change) says."""
    of = [heads[i] for i in c["declaration_id"]]
    released = {d.id: _released_at(d) for d in heads.values()}
    hs = c["hs_code"]
    chapters = [h[:2] for h in hs]
    return {
        "declaration_id": c["declaration_id"],
        "seq": c["seq"],
        "mrn": [d.mrn for d in of],
        "direction": [d.direction for d in of],
        "ucr": [d.ucr for d in of],
        "partner": [d.partner for d in of],
        "office": [d.office for d in of],
        "crossing": [d.crossing for d in of],
        "trader": [d.trader for d in of],
        "aeo": [d.aeo for d in of],
        "channel": [d.channel or "" for d in of],
        "hs_code": hs,
        "hs6": [h[:6] for h in hs],
        "heading": [h[:4] for h in hs],
        "chapter": chapters,
        "section": [section_of(ch) for ch in chapters],
        "origin": c["origin"],
        "quantity": [float(q) for q in c["quantity"]],
        "unit": c["unit"],
        "gross_mass": c["gross_mass"],
        "net_mass": c["net_mass"],
        "value": c["value"],
        "currency": [d.currency for d in of],
        "lodged_date": [d.lodged_at.date() for d in of],
        "released_date": [released[d.id] for d in of],
    }


def _released_at(d: ChangedDeclaration) -> date | None:
    times = [at for action, at in d.events if action == "release"]
    return min(times).date() if times else None


def declaration_columns(touched: Sequence[ChangedDeclaration]) -> dict[str, list[Any]]:
    """The analytical copy's declaration columns of the declarations a refresh touched."""
    columns = names(DECLARATION_COLUMNS)
    rows = [_declaration_row(d) for d in touched]
    if not rows:
        return {name: [] for name in columns}
    return dict(zip(columns, map(list, zip(*rows, strict=True)), strict=True))


def _declaration_row(d: ChangedDeclaration) -> tuple[Any, ...]:
    line = timeline(stage_times(d.events, d.arrived_at, d.presented_at), d.status)
    start = d.arrived_at if d.arrived_at is not None and not line.pre_lodged else d.lodged_at
    chapter = d.hs_code[:2]
    durations = line.durations
    return (
        d.id, d.mrn, d.direction, d.status, d.ucr, d.office, d.crossing, d.channel or "none",
        d.trader, d.aeo, section_of(chapter), chapter, line.pre_lodged, line.out_of_order,
        line.open, line.ended_unreleased, _accepted_partner(d), start, d.lodged_at, line.total,
        *(durations.get(stage) for stage, _ in _DURATION_COLUMNS), d.fallback, d.presented_at,
    )  # fmt: skip


def _accepted_partner(d: ChangedDeclaration) -> bool:
    """Whether an officer accepted the partner's inspection instead of a second one."""
    return any(action == "accept_partner_control" for action, _ in d.events)


def partner_rows(p: PartnerDeclaration) -> Iterable[dict[str, Any]]:
    """The partner's declaration as rows of `PARTNER_COLUMNS`, one per goods item."""
    declaration = p.declaration
    invoice = declaration.get("invoice", {})
    released = date.fromisoformat(p.released_at[:10])
    for seq, item in enumerate(declaration.get("items", []), start=1):
        hs_code = str(item.get("hs_code", ""))
        yield {
            "record_id": p.record_id,
            "ucr": p.ucr,
            "sender": p.sender,
            "partner_mrn": p.mrn,
            "seq": seq,
            "hs_code": hs_code,
            **_hs_parts(hs_code),
            "quantity": float(item.get("quantity", 0)),
            "gross_mass": str(item.get("gross_mass", 0)),
            "value": str(item.get("value", 0)),
            "currency": str(invoice.get("currency", "")),
            "released_date": released,
        }


def store_of(ctx: NodeContext) -> AnalyticsStore:
    """The node's analytical copy (bootstrap gives every node one)."""
    if ctx.analytics is None:
        raise RuntimeError("this node has no analytical copy")
    return ctx.analytics
