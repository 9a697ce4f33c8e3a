"""The organiser's page under /ui/organiser: the figures in two tables and two charts (plotly.js
as the node serves it, from the installed package: no CDN, no inline script or style), and the
CSV and XLSX downloads; beside it the deal register (/ui/organiser/deals). Opened by signing
in with the organiser's key."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from karakoram.domain.errors import AuthenticationFailed
from karakoram.entrypoints.web.i18n import language
from karakoram.entrypoints.web.vendor import PLOTLY_JS, plotly_css, plotly_style_ids
from karakoram.expo.entrypoints.deals_files import as_csv as deals_csv
from karakoram.expo.entrypoints.deals_files import as_xlsx as deals_xlsx
from karakoram.expo.entrypoints.deals_files import chart as deal_chart
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.organiser_files import XLSX_TYPE, as_csv, as_xlsx, charts
from karakoram.expo.entrypoints.web.pages import PagesDep, SessionDep
from karakoram.expo.entrypoints.web.render import translations
from karakoram.expo.entrypoints.web.session import ExpoSession
from karakoram.expo.services import organiser
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.deals import deal_register

router = APIRouter(prefix="/ui", include_in_schema=False)


def _organiser(session: ExpoSession, ctx: ExpoContext) -> None:
    if not organiser.is_organiser_hash(session.key_hash, ctx):
        raise AuthenticationFailed("Sign in with the organiser's key first.")


@router.get("/organiser", name="expo-organiser")
def organiser_page(request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep) -> Response:
    _organiser(session, ctx)
    report = organiser.report(ctx)
    words = translations(language(session.language).code).gettext
    return pages.render(
        request, session, "organiser.html", None, report=report, charts=charts(report, words),
        style_ids=plotly_style_ids(),
    )  # fmt: skip


@router.get("/organiser/report.csv", name="expo-organiser-csv")
def report_csv(
    session: SessionDep, ctx: CtxDep, table: Literal["chapters", "countries"] = "chapters"
) -> Response:
    _organiser(session, ctx)
    headers = {"Content-Disposition": f'attachment; filename="expo-{table}.csv"'}
    return Response(as_csv(organiser.report(ctx), table), media_type="text/csv", headers=headers)


@router.get("/organiser/report.xlsx", name="expo-organiser-xlsx")
def report_xlsx(session: SessionDep, ctx: CtxDep) -> Response:
    _organiser(session, ctx)
    headers = {"Content-Disposition": 'attachment; filename="expo-report.xlsx"'}
    return Response(as_xlsx(organiser.report(ctx)), media_type=XLSX_TYPE, headers=headers)


@router.get("/organiser/deals", name="expo-deals")
def deals_page(request: Request, pages: PagesDep, session: SessionDep, ctx: CtxDep) -> Response:
    """The deal register: agreements signed, then declared, then cleared (issue 19)."""
    _organiser(session, ctx)
    rows = deal_register(ctx)
    words = translations(language(session.language).code).gettext
    return pages.render(
        request, session, "deals.html", None, rows=rows, charts=deal_chart(rows, words),
        style_ids=plotly_style_ids(),
    )  # fmt: skip


@router.get("/organiser/deals.{fmt}", name="expo-deals-file")
def deals_file(session: SessionDep, ctx: CtxDep, fmt: Literal["csv", "xlsx"]) -> Response:
    _organiser(session, ctx)
    rows = deal_register(ctx)
    headers = {"Content-Disposition": f'attachment; filename="deal-register.{fmt}"'}
    if fmt == "csv":
        return Response(deals_csv(rows), media_type="text/csv", headers=headers)
    return Response(deals_xlsx(rows), media_type=XLSX_TYPE, headers=headers)


@router.get("/vendor/plotly.min.js", name="expo-plotly")
def plotly_script() -> FileResponse:
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@router.get("/vendor/plotly.css", name="expo-plotly-css")
def plotly_stylesheet() -> Response:
    """plotly.js's styles as a file: the CSP refuses the ones it would write inline."""
    return Response(plotly_css(), media_type="text/css")
