"""The trader's and broker's pages: lodge by form or upload, follow declarations, answer
requests for documents."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse)
