"""The analyst's pages: trade bulletin, clearance-time study and mirror report, with charts
and downloads.

Each page reads its filters from the query string (a view is a link), asks
`services.statistics` for the report and renders it; downloads are the same report through the
CSV and XLSX writers the API and the CLI use. Readers are the roles the stats API allows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from typing import Annotated, Any, Literal, TypeVar

from fastapi import Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from karakoram.bootstrap import Node
from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal, require_role
from karakoram.domain.errors import ValidationFailed
from karakoram.domain.statistics.figures import SECTION_TITLES
from karakoram.domain.statistics.periods import Dimension, Period
from karakoram.entrypoints import reports as out
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web import analyst_forms as forms
from karakoram.entrypoints.web import analyst_views as views
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.i18n import LABELS, language, translations
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.entrypoints.web.render import Pages, page_path, ui_target
from karakoram.entrypoints.web.session import WebSession
from karakoram.services.statistics import conversion, reports
from karakoram.services.statistics import shapes as stats
from karakoram.services.statistics.refresh import refresh as refresh_copy
from karakoram.services.statistics.reports import READERS

router = pages_router("/ui")

Download = Literal["csv", "xlsx"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
R = TypeVar("R")
#: how many HS chapters the bulletin's chart shows
TOP_CHAPTERS = 10


# --- one request of a statistics page ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StatsPage:
    """What every statistics page needs: the node, the reader, and how to answer them."""

    request: Request
    node: Node
    pages: Pages
    session: WebSession
    viewer: Principal

    def words(self) -> tuple[views.Gettext, views.Gettext, str]:
        """The reader's gettext, the label of a stored value, and the reader's locale."""
        lang = language(self.session.reading)
        catalogue = translations(lang.code)

        def label(value: str) -> str:
            known = LABELS.get(value) or views.VALUE_LABELS.get(value)
            known = known or views.DIMENSION_LABELS.get(value)
            return catalogue.gettext(known) if known else value

        return catalogue.gettext, label, lang.code

    def render(self, template: str, problems: forms.Problems, **context: Any) -> Response:
        words, label, locale = self.words()
        return self.pages.render(
            self.request,
            self.session,
            template,
            self.viewer,
            status_code=422 if problems else 200,
            problems=problems,
            errors=lambda name: [forms.error_text(e, words) for e in problems.of(name)],
            num=views.Numbers(locale),
            value_label=label,
            dimension_labels=views.DIMENSION_LABELS,
            refreshed_at=self.node.analytics.refreshed_at(),
            **context,
        )

    def downloads(self, name: str, form: Any) -> dict[str, str]:
        path = page_path(self.request, name)
        return {fmt: form.link(f"{path}.{fmt}") for fmt in MEDIA}


def stats_page(
    request: Request, node: NodeDep, pages: PagesDep, session: SessionDep, viewer: ViewerDep
) -> StatsPage:
    """The page of a reader; a role the stats API refuses gets the error page (403) here too."""
    require_role(viewer, *READERS)
    return StatsPage(request, node, pages, session, viewer)


PageDep = Annotated[StatsPage, Depends(stats_page)]


# --- the forms, from the query string ---------------------------------------------------------


def _this_year(node: Node) -> str:
    return str(node.ctx.clock().year)


def _by(request: Request, default: tuple[str, ...]) -> tuple[str, ...]:
    """Breakdowns as checkboxes (by=a&by=b) or as the API writes them (by=a,b)."""
    if "by" not in request.query_params:
        return default  # a first visit, or a link without it: the page's usual view
    asked = request.query_params.getlist("by")
    return tuple(b.strip() for item in asked for b in item.split(",") if b.strip())


def bulletin_form(request: Request, node: NodeDep) -> forms.BulletinForm:
    q = request.query_params
    return forms.BulletinForm(
        q.get("period", _this_year(node)),
        _by(request, forms.BULLETIN_BY),
        q.get("compare", "yoy"),
        q.get("direction", ""),
        q.get("partner", ""),
        q.get("section", ""),
        q.get("chapter", ""),
        q.get("currency", ""),
        q.get("scale", "million"),
    )


def trs_form(request: Request, node: NodeDep) -> forms.TrsForm:
    q = request.query_params
    return forms.TrsForm(
        q.get("period", _this_year(node)),
        _by(request, forms.TRS_BY),
        q.get("direction", ""),
        q.get("channel", ""),
    )


def mirror_form(request: Request, node: NodeDep) -> forms.MirrorForm:
    q = request.query_params
    return forms.MirrorForm(
        q.get("period", _this_year(node)),
        q.get("currency", ""),
        q.get("threshold", "10"),
        q.get("limit", "20"),
    )


BulletinFormDep = Annotated[forms.BulletinForm, Depends(bulletin_form)]
TrsFormDep = Annotated[forms.TrsForm, Depends(trs_form)]
MirrorFormDep = Annotated[forms.MirrorForm, Depends(mirror_form)]


# --- the reports ------------------------------------------------------------------------------


def _rates(node: Node) -> Any:
    return conversion.active_rates(node.ctx)


def _asked(make: Callable[[], R], form: Any, problems: forms.Problems) -> R | None:
    """The report, or None with the service's field errors added to `problems`."""
    try:
        return make()
    except ValidationFailed as exc:
        problems.absorb(exc, (f.name for f in fields(form)))
        return None


def _bulletin(node: Node, form: forms.BulletinForm) -> tuple[Any, forms.Problems]:
    s = node.settings
    query, problems = forms.bulletin_query(form, s.currency, s.stats_date_basis, s.stats_conversion)
    if query is None:
        return None, problems
    report = _asked(lambda: reports.bulletin(node.ctx, query), form, problems)
    return report, problems


def _trs(node: Node, form: forms.TrsForm) -> tuple[Any, forms.Problems]:
    query, problems = forms.trs_query(form)
    if query is None:
        return None, problems
    return _asked(lambda: reports.trs(node.ctx, query), form, problems), problems


def _mirror(node: Node, form: forms.MirrorForm) -> tuple[Any, forms.Problems]:
    query, problems = forms.mirror_query(form, node.settings.currency)
    if query is None:
        return None, problems
    report = _asked(lambda: reports.mirror(node.ctx, query), form, problems)
    return report, problems


def _bulletin_charts(page: StatsPage, report: stats.Bulletin) -> dict[str, Any]:
    """The three charts: the same filters, broken down as each chart needs."""
    if not report.rows:
        return {}
    words, label, _ = page.words()
    q = report.query

    def by(*dims: Dimension) -> stats.Bulletin:
        return reports.bulletin(page.node.ctx, replace(q, dims=dims))

    unit = f"{q.currency} · {words(views.SCALE_LABELS[q.scale.value])}"
    months = by(Dimension.MONTH, Dimension.DIRECTION)
    return {
        "chart-months": views.months_figure(months, words, label, unit),
        "chart-chapters": views.chapters_figure(by(Dimension.CHAPTER), words, TOP_CHAPTERS, unit),
        "chart-growth": views.growth_figure(by(Dimension.MONTH), words),
    }


def _download(report: out.Report, fmt: Download, name: str, period: Period) -> Response:
    body = out.to_csv(report) if fmt == "csv" else out.to_xlsx(report)
    filename = f"{name}_{period.start.isoformat()}_{period.end.isoformat()}.{fmt}"
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the pages --------------------------------------------------------------------------------


@router.get("/stats/bulletin", dependencies=[needs(Cap.READ_STATISTICS)], name="ui-stats-bulletin")
def bulletin(page: PageDep, form: BulletinFormDep) -> Response:
    report, problems = _bulletin(page.node, form)
    return page.render(
        "analyst/bulletin.html",
        problems,
        form=form,
        report=report,
        charts=_bulletin_charts(page, report) if report is not None else {},
        downloads=page.downloads("ui-stats-bulletin", form),
        dimensions=[d.value for d in Dimension],
        directions=forms.DIRECTIONS,
        sections=SECTION_TITLES,
        scales=views.SCALE_LABELS,
        currencies=_currencies(page.node),
    )


@router.get(
    "/stats/bulletin.{fmt}",
    dependencies=[needs(Cap.READ_STATISTICS)],
    name="ui-stats-bulletin-file",
)
def bulletin_file(fmt: Download, page: PageDep, form: BulletinFormDep) -> Response:
    report, _ = _bulletin(page.node, form)
    if report is None:
        return bulletin(page, form)  # the page, with what to correct
    return _download(report, fmt, "bulletin", report.query.period)


@router.get("/stats/trs", dependencies=[needs(Cap.READ_STATISTICS)], name="ui-stats-trs")
def trs(page: PageDep, form: TrsFormDep) -> Response:
    report, problems = _trs(page.node, form)
    words, label, _ = page.words()
    charts = {}
    if report is not None and report.overall.declarations:
        charts["chart-stages"] = views.trs_figure(report, words, label)
    return page.render(
        "analyst/trs.html",
        problems,
        form=form,
        report=report,
        charts=charts,
        downloads=page.downloads("ui-stats-trs", form),
        groups=stats.TRS_GROUPS,
        directions=forms.DIRECTIONS,
        channels=forms.CHANNELS,
        stages=views.STAGE_LABELS,
    )


@router.get("/stats/trs.{fmt}", dependencies=[needs(Cap.READ_STATISTICS)], name="ui-stats-trs-file")
def trs_file(fmt: Download, page: PageDep, form: TrsFormDep) -> Response:
    report, _ = _trs(page.node, form)
    if report is None:
        return trs(page, form)
    return _download(report, fmt, "trs", report.query.period)


@router.get("/stats/mirror", dependencies=[needs(Cap.READ_STATISTICS)], name="ui-stats-mirror")
def mirror(page: PageDep, form: MirrorFormDep) -> Response:
    report, problems = _mirror(page.node, form)
    return page.render(
        "analyst/mirror.html",
        problems,
        form=form,
        report=report,
        downloads=page.downloads("ui-stats-mirror", form),
        currencies=_currencies(page.node),
        beyond=views.beyond,
    )


@router.get(
    "/stats/mirror.{fmt}", dependencies=[needs(Cap.READ_STATISTICS)], name="ui-stats-mirror-file"
)
def mirror_file(fmt: Download, page: PageDep, form: MirrorFormDep) -> Response:
    report, _ = _mirror(page.node, form)
    if report is None:
        return mirror(page, form)
    return _download(report, fmt, "mirror", report.query.period)


@router.post(
    "/stats/refresh", dependencies=[needs(Cap.READ_STATISTICS), CsrfDep], name="ui-stats-refresh"
)
def refresh(page: PageDep, back: Annotated[str, Form()] = "") -> Response:
    """Bring the analytical copy up to date now, then show the same view again."""
    node = page.node
    refresh_copy(node.ctx)
    target = ui_target(back, page_path(page.request, "ui-stats-bulletin"))
    return RedirectResponse(target, status_code=303)


def _currencies(node: Node) -> list[str]:
    """The currencies a report can be given in: those of the rate table in force."""
    rates = _rates(node)
    if rates is None:
        return [node.settings.currency]
    return sorted({rates.base_currency, *rates.rates})
