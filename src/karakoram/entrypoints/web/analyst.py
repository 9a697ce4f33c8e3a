"""The analyst's pages: trade bulletin, clearance-time study and mirror report, with charts
and downloads."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse)
