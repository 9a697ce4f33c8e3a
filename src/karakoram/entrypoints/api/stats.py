"""Statistics for analysts: the bulletin, the time release study and the mirror report.

Reports read the analytical copy, which `serve` refreshes in the background and
`POST /stats/refresh` brings up to date at once. `format` picks JSON (default), CSV, XLSX or a
PNG chart.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, TypeVar

from fastapi import APIRouter, Query, Response
from starlette.concurrency import run_in_threadpool

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, require_role
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.domain.statistics.figures import Conversion, DateBasis, Scale, currency_code
from karakoram.domain.statistics.periods import (
    Compare,
    Dimension,
    Period,
    parse_filter,
    parse_period,
)
from karakoram.entrypoints import reports as out
from karakoram.entrypoints.api.guard import needs
from karakoram.entrypoints.http.deps import NodeDep, PrincipalDep
from karakoram.services.statistics import reports
from karakoram.services.statistics.refresh import refresh as refresh_copy
from karakoram.services.statistics.reports import READERS
from karakoram.services.statistics.shapes import TRS_GROUPS, BulletinQuery, MirrorQuery, TrsQuery

router = APIRouter(prefix="/stats", tags=["statistics"])
T = TypeVar("T")
Fmt = Literal["json", "csv", "xlsx", "png"]
_MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "png": "image/png",
}
PeriodQ = Query(description="2022, 2023-H1, 2023-Q2, 2023-03 or 2023-01-01..2023-06-30")
FilterQ = Query([], description="NAME=VALUE[,VALUE...]; repeat for several filters")


def _period(text: str) -> Period:
    try:
        return parse_period(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("invalid_period", "/period", str(exc))]) from exc


def _filters(items: list[str]) -> dict[str, str]:
    filters, errors = {}, []
    for n, item in enumerate(items):
        try:
            name, value = parse_filter(item)
        except ValueError as exc:
            errors.append(FieldError("invalid_filter", f"/filter/{n}", f"{exc}."))
            continue
        filters[name] = value
    if errors:
        raise ValidationFailed(errors)
    return filters


def _choice(kind: Callable[[str], T], text: str | None, pointer: str, default: T) -> T:
    """`text` as a `kind`, `default` when absent; a bad value is a field error."""
    if text is None:
        return default
    try:
        return kind(text)
    except ValueError as exc:
        raise ValidationFailed([FieldError("invalid_choice", pointer, str(exc))]) from exc


def _respond(report: out.Report, fmt: Fmt) -> Any:
    if fmt == "json":
        return report.as_dict()
    if fmt == "csv":
        return Response(out.to_csv(report), media_type=_MEDIA["csv"])
    body = out.to_xlsx(report) if fmt == "xlsx" else out.to_png(report)
    return Response(body, media_type=_MEDIA[fmt])


def _reader(principal: Principal) -> None:
    require_role(principal, *READERS)


@router.post("/refresh", dependencies=[needs(Cap.READ_STATISTICS)])
async def refresh(node: NodeDep, principal: PrincipalDep) -> dict[str, Any]:
    """Bring the analytical copy up to date now (only what changed since the last refresh)."""
    _reader(principal)
    result = await run_in_threadpool(refresh_copy, node.ctx)
    return {
        "items": result.items,
        "declarations": result.declarations,
        "partner_items": result.partner_items,
        "seconds": result.seconds,
    }


@router.get("/bulletin", response_model=None, dependencies=[needs(Cap.READ_STATISTICS)])
async def bulletin(
    node: NodeDep,
    principal: PrincipalDep,
    period: str = PeriodQ,
    by: str = Query("", description=", ".join(d.value for d in Dimension)),
    filter: list[str] = FilterQ,
    currency: str | None = None,
    compare: str = Query("yoy", description="yoy or pop"),
    basis: str | None = Query(None, description="release or lodgement"),
    conversion: str | None = Query(None, description="release_date or monthly_average"),
    scale: str = Query("million", description="one, thousand, million or billion"),
    format: Fmt = "json",
) -> Any:
    """Trade of a period by any breakdown, in any currency of the rate table, with growth."""
    _reader(principal)
    dims = tuple(
        _choice(Dimension, d.strip(), "/by", Dimension.MONTH) for d in by.split(",") if d.strip()
    )
    settings = node.settings
    query = BulletinQuery(
        _period(period),
        dims,
        _filters(filter),
        currency_code(currency or settings.currency),
        _choice(Compare, compare, "/compare", Compare.YEAR_ON_YEAR),
        _choice(DateBasis, basis, "/basis", DateBasis(settings.stats_date_basis)),
        _choice(Conversion, conversion, "/conversion", Conversion(settings.stats_conversion)),
        _choice(Scale, scale, "/scale", Scale.MILLION),
    )
    return _respond(await run_in_threadpool(reports.bulletin, node.ctx, query), format)


@router.get("/trs", response_model=None, dependencies=[needs(Cap.READ_STATISTICS)])
async def trs(
    node: NodeDep,
    principal: PrincipalDep,
    period: str = PeriodQ,
    by: str = Query("", description=", ".join(TRS_GROUPS)),
    filter: list[str] = FilterQ,
    format: Fmt = "json",
) -> Any:
    """Time release study: stage durations (seconds), medians, means, 90th/95th percentiles."""
    _reader(principal)
    groups = tuple(g.strip() for g in by.split(",") if g.strip())
    query = TrsQuery(_period(period), groups, _filters(filter))
    report = await run_in_threadpool(reports.trs, node.ctx, query)
    return _respond(report, format)


@router.get("/mirror", response_model=None, dependencies=[needs(Cap.READ_STATISTICS)])
async def mirror(
    node: NodeDep,
    principal: PrincipalDep,
    period: str = PeriodQ,
    currency: str | None = None,
    threshold: str = Query("10", description="percent of the partner's value"),
    limit: int = Query(20, ge=1, le=1000),
    format: Fmt = "json",
) -> Any:
    """Consignments declared by both sides: value, mass, quantity and HS6 against each other."""
    _reader(principal)
    try:
        share = Decimal(threshold) / 100
    except InvalidOperation as exc:
        raise ValidationFailed(
            [FieldError("invalid_number", "/threshold", "threshold is a percentage, e.g. 10")]
        ) from exc
    query = MirrorQuery(
        _period(period), currency_code(currency or node.settings.currency), share, limit
    )
    return _respond(await run_in_threadpool(reports.mirror, node.ctx, query), format)
