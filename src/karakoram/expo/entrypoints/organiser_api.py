"""The organiser's routes: the figures as JSON, CSV and XLSX, for the organiser's key only.
Thin: authenticate, call `expo/services/organiser.py`, shape the answer."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response

from karakoram.expo.entrypoints.deps import CtxDep, bearer
from karakoram.expo.entrypoints.organiser_files import XLSX_TYPE as XLSX
from karakoram.expo.entrypoints.organiser_files import as_csv, as_xlsx
from karakoram.expo.services import organiser
from karakoram.expo.services.context import ExpoContext

router = APIRouter()


def organiser_only(request: Request, ctx: CtxDep) -> ExpoContext:
    organiser.authenticate(bearer(request), ctx)
    return ctx


OrganiserDep = Annotated[ExpoContext, Depends(organiser_only)]


@router.get("/organiser/report", tags=["organiser"])
def report(ctx: OrganiserDep) -> dict[str, Any]:
    """Participants by country; matches, agreed matches, meetings, held meetings and no-shows
    by HS chapter and route (exhibitor's country to buyer's)."""
    r = organiser.report(ctx)
    totals = {n: r.total(n) for n in ("participants", "matches", "meetings", "held", "no_shows")}
    return {"totals": totals, "countries": r.countries, "chapters": r.chapters}


@router.get(
    "/organiser/report.csv", response_class=Response, tags=["organiser"],
    responses={200: {"content": {"text/csv": {}}}},
)  # fmt: skip
def report_csv(ctx: OrganiserDep, table: Literal["chapters", "countries"] = "chapters") -> Response:
    headers = {"Content-Disposition": f'attachment; filename="expo-{table}.csv"'}
    return Response(as_csv(organiser.report(ctx), table), media_type="text/csv", headers=headers)


@router.get(
    "/organiser/report.xlsx", response_class=Response, tags=["organiser"],
    responses={200: {"content": {XLSX: {}}}},
)  # fmt: skip
def report_xlsx(ctx: OrganiserDep) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="expo-report.xlsx"'}
    return Response(as_xlsx(organiser.report(ctx)), media_type=XLSX, headers=headers)
