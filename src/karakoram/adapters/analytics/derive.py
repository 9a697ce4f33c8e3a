"""The copy's goods items and declarations derived from the source's rows in DuckDB, in bulk.

The same derivation as `services.statistics.analytical_copy` (`item_columns`,
`declaration_columns`) and `domain.statistics.stages` (`stage_times`, `timeline`), written
column-wise in SQL: a refresh of a day of traffic turns hundreds of thousands of events into
stage times without a Python object per row. The stages, the actions that mark them, the
statuses that end a declaration and the HS sections come from the domain, not from here; the
test `tests/unit/test_refresh_derive.py` holds the two derivations equal.

The source's rows go into DuckDB as Arrow tables (one `pa.array` of structs per list of
tuples, converted in C++); the results come out as Arrow tables of the copy's schemas: the
declarations' lines once, which the items then join.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import duckdb
import pyarrow as pa

from karakoram.adapters.analytics.schema import DECLARATIONS, ITEMS
from karakoram.domain.statistics.figures import section_of
from karakoram.domain.statistics.stages import (
    ENDED_UNRELEASED,
    MEASURED,
    STAGE_OF_ACTION,
    STAGES,
    Stage,
)
from karakoram.services.statistics.analytical_copy import (
    ARRIVAL_COLUMNS,
    EVENT_COLUMNS,
    HEAD_COLUMNS,
    RELEASED_COLUMNS,
    SourceRows,
)

#: the source's rows as typed tables: (name, columns, types); `at` is `ts` here (a keyword)
_INPUTS: tuple[tuple[str, tuple[str, ...], dict[str, str]], ...] = (
    ("src_items", RELEASED_COLUMNS, {"declaration_id": "BIGINT", "seq": "INTEGER"}),
    ("heads", HEAD_COLUMNS, {"id": "BIGINT"}),
    ("events", EVENT_COLUMNS, {"declaration_id": "BIGINT"}),
    ("arrivals", ARRIVAL_COLUMNS, {}),
    ("presentations", ARRIVAL_COLUMNS, {}),
    ("fallback", ("mrn",), {}),
)

#: the stages measured beside the clearance chain, each from its own reference stage (as in
#: `stages.timeline`)
_GATE = {Stage.PRESENTATION: Stage.ARRIVAL, Stage.CLEARED: Stage.RELEASE}
#: the chain: every other stage, in order; arrival only when the truck came before lodgement
_CHAIN = tuple(s for s in STAGES if s not in _GATE)


#: what the copy takes from a declaration's header (its JSON text, parsed once); an `aeo`
#: comes as 'true' or 'false'
_HEADER = (
    ("crossing", "$.crossing"),
    ("exporter_aeo", "$.exporter.aeo"),
    ("importer_aeo", "$.importer.aeo"),
    ("exporter_country", "$.exporter.country"),
    ("importer_country", "$.importer.country"),
)


def _name(column: str) -> str:
    return "ts" if column == "at" else column


def _arrow(tuples: list[tuple[Any, ...]], typed: list[tuple[str, str]]) -> pa.Table:
    """Tuples as an Arrow table, converted in one pass in C++ (as a struct per row)."""
    kinds = {"BIGINT": pa.int64(), "INTEGER": pa.int64(), "VARCHAR": pa.string()}
    struct = pa.struct([(name, kinds[kind]) for name, kind in typed])
    return pa.Table.from_struct_array(pa.array(tuples, struct))


def _load(con: duckdb.DuckDBPyConnection, rows: SourceRows) -> None:
    """Each list of tuples as a typed DuckDB view of an Arrow table."""
    data = {
        "src_items": rows.items,
        "heads": rows.heads,
        "events": rows.events,
        "arrivals": rows.arrivals,
        "presentations": rows.presentations,
        "fallback": [(mrn,) for mrn in rows.fallback],
    }
    for table, columns, types in _INPUTS:
        typed = [(_name(c), types.get(c, "VARCHAR")) for c in columns]
        tuples = data[table]
        con.register(f"{table}_columns", _arrow(tuples, typed))
        cast = ", ".join(f"CAST({c} AS {k}) AS {c}" for c, k in typed)
        source = f"{table}_columns"
        if table == "heads":
            paths = ", ".join(f"'{path}'" for _, path in _HEADER)
            cast += "".join(
                f", header_values[{n}] AS {name}" for n, (name, _) in enumerate(_HEADER, 1)
            )
            source = (
                f"(SELECT *, json_extract_string(header, [{paths}]) AS header_values FROM {source})"
            )
        con.execute(f"CREATE TEMP VIEW {table} AS SELECT {cast} FROM {source}")
    sections = ", ".join(
        f"({_text(f'{c:02d}')}, {_text(section_of(f'{c:02d}'))})" for c in range(100)
    )
    con.execute(f"CREATE TEMP TABLE sections AS SELECT * FROM (VALUES {sections}) s(k, v)")


def _text(value: str) -> str:
    """A string as an SQL literal."""
    return "'" + value.replace("'", "''") + "'"


def _stage_of(action: str) -> str:
    """The stage an action marks (`STAGE_OF_ACTION`), NULL for the others."""
    cases = " ".join(
        f"WHEN {_text(a)} THEN {_text(stage.value)}" for a, stage in STAGE_OF_ACTION.items()
    )
    return f"CASE {action} {cases} END"


def _seconds(at: str, since: str) -> str:
    """Seconds from `since` to `at`, zero when out of order (`stages._since`); NULL without
    either (`greatest` skips NULLs)."""
    return (
        f"CASE WHEN {at} IS NOT NULL AND {since} IS NOT NULL "
        f"THEN greatest(epoch_us({at}) - epoch_us({since}), 0) / 1e6 END"
    )


def _greatest(terms: Sequence[str]) -> str:
    return f"greatest({', '.join(terms)})" if len(terms) > 1 else terms[0]


def _chain() -> tuple[str, str, str]:
    """The clearance chain: each stage from the latest of the ones before it (a stage earlier
    than that is out of order and counts zero), release also waiting for the presentation; the
    gate's stages each from its own. The `before_` columns, the durations, out of order."""
    chain: list[str] = []
    previous: list[str] = []
    skews: list[str] = []
    measures: dict[str, str] = {}
    for stage in _CHAIN:
        name = stage.value
        at = name if stage is not Stage.ARRIVAL else "CASE WHEN NOT pre_lodged THEN arrival END"
        terms = list(previous)
        if stage is Stage.RELEASE:
            terms.append("CASE WHEN presentation <= release THEN presentation END")
        if terms:
            chain.append(f"{_greatest(terms)} AS before_{name}")
            measures[name] = _seconds(name, f"before_{name}")
            skews.append(f"coalesce({name} < before_{name}, false)")
        previous.append(at)
    for stage, since in _GATE.items():
        measures[stage.value] = f"{_seconds(stage.value, since.value)}"
        skews.append(f"coalesce({stage.value} < {since.value}, false)")
    durations = ", ".join(f"{measures[s.value]} AS to_{s.value}_s" for s in MEASURED)
    return ", ".join(chain), durations, " OR ".join(skews)


def _timeline_sql() -> str:
    """Each declaration's stage times (`stage_times`), then its timeline (`timeline`)."""
    event_stages = sorted({s for s in STAGE_OF_ACTION.values() if s is not Stage.CONTROL})
    first = ", ".join(f"min(ts) FILTER (WHERE stage = '{s}') AS {s}" for s in event_stages)
    ended = ", ".join(f"'{status}'" for status in sorted(ENDED_UNRELEASED))
    chain, durations, skews = _chain()
    return f"""
    WITH first_times AS (
        SELECT declaration_id AS id, {first},
            min(ts) FILTER (WHERE action = 'release') AS released,
            max(ts) FILTER (WHERE stage = 'control') AS last_control,
            bool_or(action = 'accept_partner_control') AS accepted_partner
        FROM ev GROUP BY declaration_id
    ), late_controls AS (
        -- the few declarations with a control after their release: the last one before it
        SELECT ev.declaration_id AS id, max(ev.ts) AS control
        FROM ev JOIN first_times f ON f.id = ev.declaration_id
        WHERE f.last_control > f.released AND ev.stage = 'control' AND ev.ts <= f.released
        GROUP BY ev.declaration_id
    ), times AS (
        SELECT f.* EXCLUDE (last_control),
            CASE WHEN f.released IS NULL OR f.last_control <= f.released THEN f.last_control
                ELSE late.control END AS control
        FROM first_times f LEFT JOIN late_controls late ON late.id = f.id
    ), arrived AS (
        SELECT ucr, min(CAST(ts AS TIMESTAMP)) AS arrival FROM arrivals GROUP BY ucr
    ), presented AS (
        SELECT ucr, min(CAST(ts AS TIMESTAMP)) AS presentation FROM presentations GROUP BY ucr
    ), joined AS (
        SELECT h.*, h.type = 'EX' AS export, CAST(h.lodged_at AS TIMESTAMP) AS lodged,
            arrived.arrival, CASE WHEN h.type <> 'EX' THEN presented.presentation END
                AS presentation,
            times.* EXCLUDE (id),
            times.lodgement < arrived.arrival AS pre_lodged
        FROM heads h LEFT JOIN times ON times.id = h.id
            LEFT JOIN arrived ON arrived.ucr = h.ucr LEFT JOIN presented ON presented.ucr = h.ucr
    ), chained AS (
        SELECT *, {chain},
            CASE WHEN presentation IS NOT NULL AND (release IS NULL OR presentation <= release)
                THEN presentation ELSE coalesce(arrival, lodgement) END AS clock_start,
            status IN ({ended}) AS ended
        FROM (SELECT * REPLACE (coalesce(pre_lodged, false) AS pre_lodged) FROM joined)
    )
    SELECT *, {durations}, ({skews}) AS out_of_order,
        {_seconds("release", "clock_start")} AS total_s
    FROM chained
    """


def _declarations_sql() -> str:
    """The copy's declaration columns of each line, then what its goods items take from it
    (`_ITEMS_SQL`; the declarations' file leaves those out)."""
    durations = ", ".join(f"to_{s.value}_s" for s in MEASURED)
    return f"""
    SELECT id AS declaration_id, mrn, CASE WHEN export THEN 'export' ELSE 'import' END
            AS direction, status, ucr, office, coalesce(crossing, '') AS crossing,
        coalesce(nullif(channel, ''), 'none') AS channel,
        CASE WHEN export THEN exporter_id ELSE importer_id END AS trader,
        coalesce(CASE WHEN export THEN exporter_aeo ELSE importer_aeo END = 'true',
            false) AS aeo,
        coalesce(sections.v, '') AS section, left(coalesce(hs_code, ''), 2) AS chapter,
        pre_lodged, out_of_order, release IS NULL AND NOT ended AS open,
        release IS NULL AND ended AS ended_unreleased,
        coalesce(accepted_partner, false) AS partner_inspection_accepted,
        CASE WHEN arrival IS NOT NULL AND NOT pre_lodged THEN arrival ELSE lodged END
            AS start_at,
        lodged AS lodged_at, total_s, {durations},
        mrn IN (SELECT mrn FROM fallback) AS fallback, presentation AS presented_at,
        coalesce(CASE WHEN export THEN importer_country ELSE exporter_country END, '')
            AS item_partner,
        coalesce(channel, '') AS item_channel, currency AS item_currency,
        CAST(released AS DATE) AS item_released_date
    FROM lines LEFT JOIN sections ON sections.k = left(coalesce(hs_code, ''), 2)
    """


_ITEMS_SQL = """
    SELECT i.declaration_id, i.seq, d.mrn, d.direction, d.ucr, d.item_partner AS partner,
        d.office, d.crossing, d.trader, d.aeo, d.item_channel AS channel, i.hs_code,
        left(i.hs_code, 6) AS hs6, left(i.hs_code, 4) AS heading, left(i.hs_code, 2) AS chapter,
        coalesce(sections.v, '') AS section, i.origin, CAST(i.quantity AS DOUBLE) AS quantity,
        i.unit, CAST(i.gross_mass AS DECIMAL(18, 3)) AS gross_mass,
        CAST(i.net_mass AS DECIMAL(18, 3)) AS net_mass, CAST(i.value AS DECIMAL(18, 4)) AS value,
        d.item_currency AS currency, CAST(d.lodged_at AS DATE) AS lodged_date,
        d.item_released_date AS released_date
    FROM src_items i JOIN lines d ON d.declaration_id = i.declaration_id
        LEFT JOIN sections ON sections.k = left(i.hs_code, 2)
"""


def derive(
    rows: SourceRows, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[pa.Table, pa.Table]:
    """The copy's goods items and declarations (Arrow tables of `ITEMS`, `DECLARATIONS`), in
    `con` (whose temporary tables and views of the rows stay until it closes) or in an engine
    of its own."""
    if con is None:
        with duckdb.connect(":memory:") as own:
            return derive(rows, own)
    con.execute("SET enable_progress_bar = false")
    # a pass is at most a few hundred thousand rows: a second thread costs more CPU than it
    # saves time (measured on 2 CPUs), and leaves that CPU to the node's requests
    con.execute("SET threads = 1")
    _load(con, rows)
    con.execute(
        "CREATE TEMP TABLE ev AS SELECT declaration_id, action, "
        f"CAST(ts AS TIMESTAMP) AS ts, {_stage_of('action')} AS stage FROM events"
    )
    # the lines come out once, as Arrow (a DuckDB table of them would cost more to fill
    # than the items' join saves): the declarations' columns, and the items' from them
    lines = con.sql(f"WITH lines AS ({_timeline_sql()}) {_declarations_sql()}")
    wide = lines.to_arrow_table()
    con.register("lines", wide)
    items = con.sql(_ITEMS_SQL).to_arrow_table()
    return items.cast(ITEMS), wide.select(DECLARATIONS.names).cast(DECLARATIONS)
