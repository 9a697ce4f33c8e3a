"""How an attached document is served, by the API and the web UI alike (issue 17): inline, in a
sandbox (no script, no form, no plugin, no same-origin access), never sniffed as another type."""

from __future__ import annotations

from karakoram.domain.declaration.attachments import safe_name

#: what a browser may do with an attached document it shows: nothing but show it
DOCUMENT_CSP = "sandbox; default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'"


def document_headers(filename: str, disposition: str = "inline") -> dict[str, str]:
    """Headers under which an attached document is served: sandboxed, never sniffed (the
    name made safe again: a partner's document names itself)."""
    return {
        "Content-Security-Policy": DOCUMENT_CSP,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'{disposition}; filename="{safe_name(filename)}"',
        "Cache-Control": "private, no-store",
    }
