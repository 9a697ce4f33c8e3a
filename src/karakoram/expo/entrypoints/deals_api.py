"""The deal register for the organiser's key: `GET /deals/register?format=json|csv|xlsx`."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from fastapi import APIRouter, Response

from karakoram.expo.entrypoints.deals_files import as_csv, as_xlsx
from karakoram.expo.entrypoints.organiser_api import OrganiserDep
from karakoram.expo.entrypoints.organiser_files import XLSX_TYPE
from karakoram.expo.services.deals import deal_register

router = APIRouter()


@router.get(
    "/deals/register", tags=["organiser"], response_model=None,
    responses={200: {"content": {"text/csv": {}, XLSX_TYPE: {}}}},
)  # fmt: skip
def register(
    ctx: OrganiserDep, format: Literal["json", "csv", "xlsx"] = "json"
) -> dict[str, Any] | Response:
    """Agreements signed at the fair, then declared, then cleared (the nodes' clearance
    results): count of shipments and value per month, HS chapter, country pair and currency."""
    rows = deal_register(ctx)
    if format == "csv":
        headers = {"Content-Disposition": 'attachment; filename="deal-register.csv"'}
        return Response(as_csv(rows), media_type="text/csv", headers=headers)
    if format == "xlsx":
        headers = {"Content-Disposition": 'attachment; filename="deal-register.xlsx"'}
        return Response(as_xlsx(rows), media_type=XLSX_TYPE, headers=headers)
    out = [{k: str(v) if k.endswith("_value") else v for k, v in asdict(r).items()} for r in rows]
    return {"rows": out}
