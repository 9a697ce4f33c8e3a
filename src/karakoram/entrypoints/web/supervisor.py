"""The supervisor's pages: rule sets (edit, validate, back-test, activate, roll back), channel
overrides, the exchange."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(prefix="/ui", include_in_schema=False, default_response_class=HTMLResponse)
