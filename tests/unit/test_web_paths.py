"""page_path: links resolved once per route and filled in after give the same paths Starlette
gives, with and without a root path, for text and int parameters."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from starlette.routing import NoMatchFound

from karakoram.entrypoints.web.render import page_path


def _app() -> FastAPI:
    app = FastAPI()

    @app.get("/ui/declarations/{mrn}", name="declaration")
    def declaration(mrn: str) -> None: ...

    @app.get("/ui/rules/{version:int}/view/{part}", name="rule")
    def rule(version: int, part: str) -> None: ...

    @app.get("/ui", name="home")
    def home() -> None: ...

    return app


def _request(app: FastAPI, root_path: str = "") -> Request:
    scope = {
        "type": "http",
        "app": app,
        "router": app.router,
        "method": "GET",
        "path": "/ui",
        "root_path": root_path,
        "scheme": "https",
        "server": ("node.example", 443),
        "headers": [],
        "query_string": b"",
    }
    return Request(scope)


@pytest.mark.parametrize("root_path", ["", "/karakoram"])
def test_cached_paths_are_the_paths_starlette_gives(root_path):
    request = _request(_app(), root_path)
    cases = [
        ("home", {}),
        ("declaration", {"mrn": "26PK0001ABCDEF1234"}),
        ("declaration", {"mrn": "26CN0002ZZZZZZ9999"}),
        ("declaration", {"mrn": "with space@@and marks"}),
        ("rule", {"version": 3, "part": "text"}),
        ("rule", {"version": "4", "part": "chart"}),
    ]
    for _ in range(2):  # the second pass reads the cache
        for name, params in cases:
            assert page_path(request, name, **params) == request.url_for(name, **params).path
    assert page_path(request, "declaration", mrn="X1") == f"{root_path}/ui/declarations/X1"


def test_an_unknown_name_or_a_slash_in_a_value_is_refused_as_starlette_refuses_it():
    request = _request(_app())
    page_path(request, "declaration", mrn="warm-the-cache")
    with pytest.raises(NoMatchFound):
        page_path(request, "nowhere")
    with pytest.raises(AssertionError):
        page_path(request, "declaration", mrn="a/b")
