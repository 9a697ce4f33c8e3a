"""The refresh's bulk derivation in DuckDB (`adapters.analytics.derive`) gives the copy the same
rows as the Python derivation it replaced (`item_columns`, `declaration_columns`, the domain's
`stage_times` and `timeline`), over declarations drawn at random with every oddity a timeline
knows: stages out of order, control after release, pre-lodged trucks, presentations before and
after release, declarations ended unreleased, fallback lodgements, odd decimals."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from karakoram.adapters.analytics.derive import derive
from karakoram.adapters.analytics.schema import DECLARATIONS, ITEMS, table_of
from karakoram.services.statistics.analytical_copy import (
    RELEASED_COLUMNS,
    ChangedDeclaration,
    SourceRows,
    declaration_columns,
    item_columns,
)

T0 = datetime(2025, 6, 2, 8, tzinfo=UTC)
ACTIONS = (
    "lodge",
    "accept",
    "assess",
    "check_documents",
    "inspect",
    "accept_partner_control",
    "pay",
    "release",
    "clear",
    "exit",
    "hold",
    "cancel",
)
STATUSES = ("released", "cleared", "exited", "assessed", "cancelled", "seized", "rejected")


def text(at: datetime) -> str:
    """As the source gives timestamps: UTC, no zone."""
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def at(rng: random.Random) -> datetime:
    return T0 + timedelta(seconds=rng.randrange(0, 86_400), microseconds=rng.randrange(10**6))


def draw(rng: random.Random, n: int) -> tuple[SourceRows, list[ChangedDeclaration], dict]:
    heads, events, arrivals, presentations, fallback, items = [], [], [], [], [], []
    changed = []
    for i in range(1, n + 1):
        export = rng.random() < 0.5
        ucr = f"UCR{rng.randrange(n)}"  # some consignments shared
        header = {
            "crossing": rng.choice(["KHUNJERAB", None]),
            "exporter_aeo": rng.choice([True, False, None]),
            "importer_aeo": rng.choice([True, False, None]),
            "exporter_country": rng.choice(["CN", None]),
            "importer_country": rng.choice(["PK", None]),
        }
        hs_code = rng.choice(["847130", "0101", "9999", "", None, "6109100010"])
        lodged_at = at(rng)
        mine = [(rng.choice(ACTIONS), at(rng)) for _ in range(rng.randrange(0, 9))]
        if rng.random() < 0.5:
            mine.append(("release", at(rng)))
        for _ in range(rng.randrange(0, 3)):
            arrivals.append((ucr, text(at(rng))))
        for _ in range(rng.randrange(0, 2)):
            presentations.append((ucr, text(at(rng))))
        mrn = f"25PK{i:014d}"
        if rng.random() < 0.1:
            fallback.append(mrn)
        channel = rng.choice(["green", "red", "", None])
        status = rng.choice(STATUSES)
        heads.append(
            (
                i,
                mrn,
                "EX" if export else "IM",
                status,
                ucr,
                "PKSST",
                channel,
                text(lodged_at),
                f"E{i % 7}",
                f"I{i % 5}",
                rng.choice(["USD", "CNY"]),
                json.dumps(_nested(header)),
                hs_code,
            )
        )
        events += [(i, action, text(when)) for action, when in mine]
        changed.append((i, mrn, export, status, ucr, channel, lodged_at, header, hs_code, mine))
        if any(action == "release" for action, _ in mine):
            for seq in range(1, rng.randrange(1, 4)):
                items.append(
                    (
                        i,
                        seq,
                        rng.choice(["847130", "0101", "72"]),
                        "CN",
                        rng.choice(["10", "2.5"]),
                        "NAR",
                        rng.choice(["30", "1.2345"]),
                        "25.0005",
                        rng.choice(["5000", "0.00005", "12.34565", "7"]),
                    )
                )
    first_arrival = _first(arrivals)
    first_presentation = _first(presentations)
    touched = [
        ChangedDeclaration(
            id=i,
            mrn=mrn,
            direction="export" if export else "import",
            status=status,
            ucr=ucr,
            office="PKSST",
            crossing=header["crossing"] or "",
            channel=channel,
            trader=f"E{i % 7}" if export else f"I{i % 5}",
            aeo=bool(header["exporter_aeo"] if export else header["importer_aeo"]),
            partner=(header["importer_country"] if export else header["exporter_country"]) or "",
            currency=heads[i - 1][10],
            hs_code=hs_code or "",
            lodged_at=lodged_at,
            events=mine,
            arrived_at=first_arrival.get(ucr),
            presented_at=None if export else first_presentation.get(ucr),
            fallback=mrn in fallback,
        )
        for i, mrn, export, status, ucr, channel, lodged_at, header, hs_code, mine in changed
    ]
    released = {name: [row[k] for row in items] for k, name in enumerate(RELEASED_COLUMNS)}
    rows = SourceRows(items, heads, events, arrivals, presentations, fallback)
    return rows, touched, released


def _nested(header: dict[str, Any]) -> dict[str, Any]:
    """The header as a declaration has it (a value left out when None)."""
    parties: dict[str, dict[str, Any]] = {"exporter": {}, "importer": {}}
    for key, value in header.items():
        if value is not None and key != "crossing":
            party, field = key.split("_")
            parties[party][field] = value
    return {**({"crossing": header["crossing"]} if header["crossing"] else {}), **parties}


def _first(pairs: list[tuple[str, str]]) -> dict[str, datetime]:
    first: dict[str, datetime] = {}
    for ucr, when in pairs:
        moment = datetime.fromisoformat(when + "+00:00")
        if ucr not in first or moment < first[ucr]:
            first[ucr] = moment
    return first


def ordered(table: Any, keys: list[str]) -> list[dict[str, Any]]:
    return table.sort_by([(k, "ascending") for k in keys]).to_pylist()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_bulk_derivation_gives_the_rows_the_python_one_gives(seed):
    rows, touched, released = draw(random.Random(seed), 400)
    items, declarations = derive(rows)
    expected_items = table_of(item_columns(released, {d.id: d for d in touched}), ITEMS)
    expected = table_of(declaration_columns(touched), DECLARATIONS)
    assert declarations.num_rows == 400
    assert items.num_rows == len(rows.items) > 100
    assert ordered(declarations, ["declaration_id"]) == ordered(expected, ["declaration_id"])
    assert ordered(items, ["declaration_id", "seq"]) == ordered(
        expected_items, ["declaration_id", "seq"]
    )


def test_nothing_changed_derives_empty_tables_of_the_copys_schemas():
    items, declarations = derive(SourceRows([], [], [], [], [], []))
    assert (items.num_rows, declarations.num_rows) == (0, 0)
    assert items.schema == ITEMS
    assert declarations.schema == DECLARATIONS
