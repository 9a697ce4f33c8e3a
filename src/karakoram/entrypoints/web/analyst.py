"""The analyst's pages: trade bulletin, clearance-time study and mirror report, with charts
and downloads.

Each page reads its filters from the query string (a view is a link), asks
`services.statistics` for the report and renders it; downloads are the same report through the
CSV and XLSX writers the API and the CLI use. Readers are the roles the stats API allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from karakoram.bootstrap import Node
from karakoram.domain.access import Principal, require_role
from karakoram.domain.errors import PermissionDenied, ValidationFailed
from karakoram.domain.statistics import SECTION_TITLES, Dimension, Period
from karakoram.entrypoints import stats_output as out
from karakoram.entrypoints.api.deps import NodeDep
from karakoram.entrypoints.api.errors import status_of
from karakoram.entrypoints.api.routes.stats import READERS
from karakoram.entrypoints.web import analyst_views as views
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.i18n import LABELS, language, translations
from karakoram.entrypoints.web.render import page_path
from karakoram.entrypoints.web.session import WebSession
from karakoram.services import statistics as stats

router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse)

Download = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
R = TypeVar("R")
#: how many HS chapters the bulletin's chart shows
TOP_CHAPTERS = 10


# --- the forms, from the query string ---------------------------------------------------------


def _this_year(node: Node) -> str:
    return str(node.ctx.clock().year)


def _by(request: Request, default: tuple[str, ...]) -> tuple[str, ...]:
    """Breakdowns as checkboxes (by=a&by=b) or as the API writes them (by=a,b)."""
    if "by" not in request.query_params:
        return default  # a first visit, or a link without it: the page's usual view
    asked = request.query_params.getlist("by")
    return tuple(b.strip() for item in asked for b in item.split(",") if b.strip())


def bulletin_form(request: Request, node: NodeDep) -> views.BulletinForm:
    q = request.query_params
    return views.BulletinForm(
        q.get("period", _this_year(node)),
        _by(request, views.BULLETIN_BY),
        q.get("compare", "yoy"),
        q.get("direction", ""),
        q.get("partner", ""),
        q.get("section", ""),
        q.get("chapter", ""),
        q.get("currency", ""),
        q.get("scale", "million"),
    )


def trs_form(request: Request, node: NodeDep) -> views.TrsForm:
    q = request.query_params
    return views.TrsForm(
        q.get("period", _this_year(node)),
        _by(request, views.TRS_BY),
        q.get("direction", ""),
        q.get("channel", ""),
    )


def mirror_form(request: Request, node: NodeDep) -> views.MirrorForm:
    q = request.query_params
    return views.MirrorForm(
        q.get("period", _this_year(node)),
        q.get("currency", ""),
        q.get("threshold", "10"),
        q.get("limit", "20"),
    )


BulletinFormDep = Annotated[views.BulletinForm, Depends(bulletin_form)]
TrsFormDep = Annotated[views.TrsForm, Depends(trs_form)]
MirrorFormDep = Annotated[views.MirrorForm, Depends(mirror_form)]


# --- the reports ------------------------------------------------------------------------------


def _rates(node: Node) -> Any:
    return stats.active_rates(node.ctx.policy, node.ctx.uow)


def _asked(make: Callable[[], R], problems: views.Problems) -> R | None:
    """The report, or None with the service's field errors added to `problems`."""
    try:
        return make()
    except ValidationFailed as exc:
        problems.absorb(exc)
        return None


def _bulletin(node: Node, form: views.BulletinForm) -> tuple[Any, views.Problems]:
    s = node.settings
    query, problems = views.bulletin_query(form, s.currency, s.stats_date_basis, s.stats_conversion)
    if query is None:
        return None, problems
    return _asked(lambda: stats.bulletin(node.analytics, _rates(node), query), problems), problems


def _trs(node: Node, form: views.TrsForm) -> tuple[Any, views.Problems]:
    query, problems = views.trs_query(form)
    if query is None:
        return None, problems
    now = datetime.now(UTC)
    return _asked(lambda: stats.trs(node.analytics, query, now), problems), problems


def _mirror(node: Node, form: views.MirrorForm) -> tuple[Any, views.Problems]:
    query, problems = views.mirror_query(form, node.settings.currency)
    if query is None:
        return None, problems
    return _asked(lambda: stats.mirror(node.analytics, _rates(node), query), problems), problems


def _bulletin_charts(
    node: Node, report: stats.Bulletin, words: views.Gettext, label: views.Gettext
) -> dict[str, Any]:
    """The three charts: the same filters, broken down as each chart needs."""
    rates = _rates(node)
    q = report.query

    def by(*dims: Dimension) -> stats.Bulletin:
        return stats.bulletin(node.analytics, rates, replace(q, dims=dims))

    unit = f"{q.currency} · {words(views.SCALE_LABELS[q.scale.value])}"
    months = by(Dimension.MONTH, Dimension.DIRECTION)
    return {
        "chart-months": views.months_figure(months, words, label, unit),
        "chart-chapters": views.chapters_figure(by(Dimension.CHAPTER), words, TOP_CHAPTERS, unit),
        "chart-growth": views.growth_figure(by(Dimension.MONTH), words),
    }


# --- what every page needs --------------------------------------------------------------------


def _words(session: WebSession) -> tuple[views.Gettext, views.Gettext, str]:
    """The reader's gettext, the label of a stored value, and the reader's locale."""
    lang = language(session.language)
    catalogue = translations(lang.code)

    def label(value: str) -> str:
        known = LABELS.get(value) or views.VALUE_LABELS.get(value)
        known = known or views.DIMENSION_LABELS.get(value)
        return catalogue.gettext(known) if known else value

    return catalogue.gettext, label, lang.code


def _refused(
    request: Request, pages: PagesDep, session: SessionDep, viewer: Principal, exc: Exception
) -> Response:
    assert isinstance(exc, PermissionDenied)
    return pages.render(
        request, session, "error.html", viewer, status_code=status_of(exc), failure=exc
    )


def _refreshed_at(node: Node) -> datetime | None:
    """When the analytical copy was last brought up to date (its state file is rewritten by
    every refresh, whether `serve`'s loop or the button ran it)."""
    state = node.analytics.root / "state.json"
    return datetime.fromtimestamp(state.stat().st_mtime, UTC) if state.exists() else None


def _page(
    request: Request,
    node: Node,
    pages: PagesDep,
    session: SessionDep,
    viewer: Principal,
    template: str,
    problems: views.Problems,
    **context: Any,
) -> Response:
    words, label, locale = _words(session)
    return pages.render(
        request,
        session,
        template,
        viewer,
        status_code=422 if problems else 200,
        problems=problems,
        errors=lambda name: [views.error_text(e, words) for e in problems.of(name)],
        num=views.Numbers(locale),
        refreshed_at=_refreshed_at(node),
        back=str(request.url.path) + (f"?{request.url.query}" if request.url.query else ""),
        dimension_labels=views.DIMENSION_LABELS,
        value_label=label,
        **context,
    )


def _download(report: out.Report, fmt: Download, name: str, period: Period) -> Response:
    body = out.to_csv(report) if fmt == "csv" else out.to_xlsx(report)
    filename = f"{name}_{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the pages --------------------------------------------------------------------------------


@router.get("/stats/bulletin", name="ui-stats-bulletin")
def bulletin(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: BulletinFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, problems = _bulletin(node, form)
    words, label, _ = _words(session)
    charts = _bulletin_charts(node, report, words, label) if report is not None else {}
    path = page_path(request, "ui-stats-bulletin")
    return _page(
        request,
        node,
        pages,
        session,
        viewer,
        "analyst/bulletin.html",
        problems,
        form=form,
        report=report,
        charts=charts,
        downloads={f: form.link(f"{path}.{f}") for f in MEDIA},
        dimensions=[d.value for d in Dimension],
        directions=views.DIRECTIONS,
        sections=SECTION_TITLES,
        currencies=_currencies(node),
    )


@router.get("/stats/bulletin.{fmt}", name="ui-stats-bulletin-file")
def bulletin_file(
    fmt: Download,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: BulletinFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, _ = _bulletin(node, form)
    if report is None:
        return bulletin(request, node, pages, session, viewer, form)
    return _download(report, fmt, "bulletin", report.query.period)


@router.get("/stats/trs", name="ui-stats-trs")
def trs(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: TrsFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, problems = _trs(node, form)
    words, label, _ = _words(session)
    charts = {"chart-stages": views.trs_figure(report, words, label)} if report is not None else {}
    path = page_path(request, "ui-stats-trs")
    return _page(
        request,
        node,
        pages,
        session,
        viewer,
        "analyst/trs.html",
        problems,
        form=form,
        report=report,
        charts=charts,
        downloads={f: form.link(f"{path}.{f}") for f in MEDIA},
        groups=stats.TRS_GROUPS,
        directions=views.DIRECTIONS,
        channels=views.CHANNELS,
        stages=views.STAGE_LABELS,
        row_label=lambda keys: views.row_label(keys, form.by, label),
    )


@router.get("/stats/trs.{fmt}", name="ui-stats-trs-file")
def trs_file(
    fmt: Download,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: TrsFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, _ = _trs(node, form)
    if report is None:
        return trs(request, node, pages, session, viewer, form)
    return _download(report, fmt, "trs", report.query.period)


@router.get("/stats/mirror", name="ui-stats-mirror")
def mirror(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: MirrorFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, problems = _mirror(node, form)
    path = page_path(request, "ui-stats-mirror")
    return _page(
        request,
        node,
        pages,
        session,
        viewer,
        "analyst/mirror.html",
        problems,
        form=form,
        report=report,
        downloads={f: form.link(f"{path}.{f}") for f in MEDIA},
        currencies=_currencies(node),
        beyond=views.beyond,
    )


@router.get("/stats/mirror.{fmt}", name="ui-stats-mirror-file")
def mirror_file(
    fmt: Download,
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    form: MirrorFormDep,
) -> Response:
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    report, _ = _mirror(node, form)
    if report is None:
        return mirror(request, node, pages, session, viewer, form)
    return _download(report, fmt, "mirror", report.query.period)


@router.post("/stats/refresh", dependencies=[CsrfDep], name="ui-stats-refresh")
def refresh(
    request: Request,
    node: NodeDep,
    pages: PagesDep,
    session: SessionDep,
    viewer: ViewerDep,
    back: Annotated[str, Form()] = "",
) -> Response:
    """Bring the analytical copy up to date now, then show the same view again."""
    try:
        require_role(viewer, *READERS)
    except PermissionDenied as exc:
        return _refused(request, pages, session, viewer, exc)
    stats.refresh(node.analytics_source, node.analytics, lambda: datetime.now(UTC))
    # only back to a page of this UI, never to another site
    ours = back.startswith("/ui/") and not back.startswith("//")
    target = back if ours else page_path(request, "ui-stats-bulletin")
    return RedirectResponse(target, status_code=303)


def _currencies(node: Node) -> list[str]:
    """The currencies a report can be given in: those of the rate table in force."""
    rates = _rates(node)
    if rates is None:
        return [node.settings.currency]
    return sorted({rates.base_currency, *rates.rates})
