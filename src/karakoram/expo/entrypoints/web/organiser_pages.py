"""The organiser's page under /ui/organiser: the figures in two tables and two charts (plotly.js
as the node serves it, from the installed package: no CDN, no inline script or style), and the
CSV and XLSX downloads. Opened by signing in with the organiser's key."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from karakoram.domain.errors import AuthenticationFailed
from karakoram.entrypoints.web.i18n import language
from karakoram.entrypoints.web.vendor import PLOTLY_JS, plotly_css, plotly_style_ids
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.organiser_files import XLSX_TYPE, as_csv, as_xlsx, charts
from karakoram.expo.entrypoints.web.pages import PagesDep, SessionDep
from karakoram.expo.entrypoints.web.render import translations
from karakoram.expo.entrypoints.web.session import ExpoSession
from karakoram.expo.services import organiser
from karakoram.expo.services.context import ExpoContext

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


@router.get("/vendor/plotly.min.js", name="expo-plotly")
def plotly_script() -> FileResponse:
    return FileResponse(PLOTLY_JS, media_type="text/javascript")


@router.get("/vendor/plotly.css", name="expo-plotly-css")
def plotly_stylesheet() -> Response:
    """plotly.js's styles as a file: the CSP refuses the ones it would write inline."""
    return Response(plotly_css(), media_type="text/css")
