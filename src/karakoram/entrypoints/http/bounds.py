"""What each route declares, enforced before it runs: the media type of its body (415) and
the range of its integer path and query parameters (422). An app-wide dependency, first of
every route's, so no authentication, role check or query sees what it refuses, and a route that
reads its own body has not read a byte of it."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException

from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.http.errors import short

#: the largest integer a path or query parameter may carry (a PostgreSQL `integer`)
INT_MAX = 2**31 - 1
JSON = frozenset({"application/json"})


class RouteFacts:
    """Per API route, read once from its declaration: the media types its body may have
    (None: the route reads its body as it pleases), its integer parameters."""

    def __init__(self) -> None:
        self._facts: dict[int, tuple[frozenset[str] | None, frozenset[str], frozenset[str]]] = {}

    def of(self, route: APIRoute) -> tuple[frozenset[str] | None, frozenset[str], frozenset[str]]:
        key = id(route)
        if key not in self._facts:
            path, query = _int_params(route.dependant)
            self._facts[key] = (_media_types(route), path, query)
        return self._facts[key]


def _media_types(route: APIRoute) -> frozenset[str] | None:
    if route.path.startswith("/ui"):
        return None  # forms and uploads: the pages read them
    content = (route.openapi_extra or {}).get("requestBody", {}).get("content")
    if content:
        return frozenset(str(k) for k in content)
    if route.body_field is not None:
        form = type(route.body_field.field_info).__name__ in ("Form", "File")
        return None if form else JSON
    return None


def _int_params(dependant: Dependant) -> tuple[frozenset[str], frozenset[str]]:
    path: set[str] = set()
    query: set[str] = set()
    for sub in (dependant, *_all_dependencies(dependant)):
        path |= {f.alias for f in sub.path_params if _is_int(f.field_info.annotation)}
        query |= {f.alias for f in sub.query_params if _is_int(f.field_info.annotation)}
    return frozenset(path), frozenset(query)


def _all_dependencies(dependant: Dependant) -> list[Dependant]:
    found: list[Dependant] = []
    for sub in dependant.dependencies:
        found += [sub, *_all_dependencies(sub)]
    return found


def _is_int(annotation: Any) -> bool:
    if annotation is int:
        return True
    args = getattr(annotation, "__args__", ())
    return int in args and bool not in args


async def route_bounds(request: Request) -> None:
    """The app-wide dependency (see the module's docstring)."""
    route = request.scope.get("route")
    facts = getattr(request.app.state, "route_facts", None)
    if not isinstance(route, APIRoute) or not isinstance(facts, RouteFacts):
        return
    media_types, path_ints, query_ints = facts.of(route)
    if media_types is not None and _has_body(request) and "content-type" in request.headers:
        # a body without a type is read as the route's own; one of another type is refused
        media_type = request.headers["content-type"].split(";")[0].strip().lower()
        if media_type not in media_types:
            wanted = " or ".join(sorted(media_types))
            raise HTTPException(415, f"Send {wanted}, not {short(media_type or 'nothing')}.")
    errors = [
        _out_of_range(f"/path/{name}", value)
        for name, value in request.path_params.items()
        if name in path_ints and _too_big(value)
    ]
    errors += [
        _out_of_range(f"/query/{name}", value)
        for name, value in request.query_params.multi_items()
        if name in query_ints and _too_big(value)
    ]
    if errors:
        raise ValidationFailed(errors)


def _has_body(request: Request) -> bool:
    length = request.headers.get("content-length")
    return length not in (None, "0") or "transfer-encoding" in request.headers


def _too_big(value: object) -> bool:
    text = str(value).strip().lstrip("+-")
    # ASCII digits only: "¹" is a digit to str.isdigit, not to int()
    return text.isascii() and text.isdigit() and (len(text) > 10 or int(text) > INT_MAX)


def _out_of_range(pointer: str, value: object) -> FieldError:
    return FieldError("out_of_range", pointer, f"{short(str(value), 12)} is beyond {INT_MAX:,}.")
