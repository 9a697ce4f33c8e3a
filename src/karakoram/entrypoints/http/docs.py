"""The API's documentation pages, served by the node itself: Swagger UI at /docs and ReDoc at
/redoc, both drawn from `/openapi.json`, neither reaching past the node (no CDN, no
validator badge): a node on a border post with no link out still documents its API.

The scripts and the stylesheet are the ones the `fastapi-offline` package carries (a maintained
copy of swagger-ui-dist and of ReDoc's standalone build); the node serves them as files, and
each page's start-up script is a file too, so the pages keep to a CSP without inline scripts.
Swagger UI keeps the node's own policy. ReDoc writes its styles into `<style>` elements as it
draws (styled-components, and a style loader that takes no nonce from outside its bundle): its
page alone gets a policy that allows inline styles (never scripts) and the blob: worker its
search runs in. Its menu shows a logo from the vendor's CDN; the node serves the bundle with
that address pointing at its own icon, so the page asks nothing of a foreign host.
"""

from __future__ import annotations

from functools import cache
from html import escape
from importlib.resources import files
from importlib.resources.abc import Traversable

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response

from karakoram.entrypoints.http.edge import CSP

#: the vendored files, as the installed fastapi-offline package carries them
VENDOR: Traversable = files("fastapi_offline") / "static"
_CACHE = {"Cache-Control": "max-age=86400"}
_ASSETS = {
    "/docs/swagger-ui-bundle.js": ("swagger-ui-bundle.js", "text/javascript"),
    "/docs/swagger-ui.css": ("swagger-ui.css", "text/css"),
    "/docs/favicon.png": ("favicon.png", "image/png"),
    "/redoc/redoc.standalone.js": ("redoc.standalone.js", "text/javascript"),
}

SWAGGER_INIT = """\
// Swagger UI over the node's own OpenAPI; no validator badge (it would call a foreign host)
const root = document.getElementById("swagger-ui");
window.ui = SwaggerUIBundle({
  url: root.dataset.openapi,
  dom_id: "#swagger-ui",
  validatorUrl: null,
  deepLinking: true,
  displayRequestDuration: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
});
"""

REDOC_INIT = """\
// ReDoc over the node's own OpenAPI
const root = document.getElementById("redoc");
Redoc.init(root.dataset.openapi, {}, root);
"""

#: ReDoc's page: the node's policy, with ReDoc's inline styles and its search worker allowed
REDOC_CSP = (
    CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
    + "; worker-src 'self' blob:"
)
#: the one foreign address the ReDoc bundle would load (its menu's logo), and what replaces it
_REDOC_LOGO = (b"https://cdn.redoc.ly/redoc/logo-mini.svg", b"/docs/favicon.png")


def _page(title: str, body: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{escape(title)}</title><link rel="icon" href="/docs/favicon.png">{head}'
        f"</head><body>{body}</body></html>"
    )


def install_docs(app: FastAPI) -> None:
    """Serve /docs, /redoc and their files (none of them in the OpenAPI)."""
    openapi_url = app.openapi_url or "/openapi.json"

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        html = _page(
            f"{app.title} - API",
            f'<div id="swagger-ui" data-openapi="{escape(root + openapi_url)}"></div>'
            f'<script src="{root}/docs/swagger-ui-bundle.js"></script>'
            f'<script src="{root}/docs/swagger-init.js"></script>',
            f'<link rel="stylesheet" href="{root}/docs/swagger-ui.css">',
        )
        return HTMLResponse(html)

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        html = _page(
            f"{app.title} - API reference",
            f'<div id="redoc" data-openapi="{escape(root + openapi_url)}"></div>'
            f'<script src="{root}/redoc/redoc.standalone.js"></script>'
            f'<script src="{root}/redoc/redoc-init.js"></script>',
        )
        return HTMLResponse(html, headers={"Content-Security-Policy": REDOC_CSP})

    @app.get("/docs/swagger-init.js", include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript", headers=_CACHE)

    @app.get("/redoc/redoc-init.js", include_in_schema=False)
    async def redoc_init() -> Response:
        return Response(REDOC_INIT, media_type="text/javascript", headers=_CACHE)

    for path, (name, media_type) in _ASSETS.items():
        _serve_asset(app, path, name, media_type)


def _serve_asset(app: FastAPI, path: str, name: str, media_type: str) -> None:
    async def asset() -> Response:
        return Response(_vendored(name), media_type=media_type, headers=_CACHE)

    app.add_api_route(path, asset, methods=["GET"], include_in_schema=False, name=name)


@cache
def _vendored(name: str) -> bytes:
    return (VENDOR / name).read_bytes().replace(*_REDOC_LOGO)
