"""The OpenAPI document as clients need it, made in one place from the routes FastAPI describes.

`install_openapi` wraps the app's `openapi()` once every route is in, and adds to what FastAPI
generates:
- a description for every tag, and each operation's tags without repeats;
- the 200 that a resubmission answers with the first answer's body (`REPEATS`), and the
  statistics reports' other formats (`REPORTS`);
- its errors as they are answered: RFC 9457 `application/problem+json` (the `Problem` schema)
  for each status the operation can refuse with, naming the stable `code` values known for it
  (`x-problem-codes`, and the description); FastAPI's `HTTPValidationError`, which the node
  never sends, is gone;
- an example request and response for every operation, from `openapi_examples.EXAMPLES`.

The security scheme (`Authorization: Bearer <API key>`, Swagger UI's Authorize) needs nothing
here: `deps.API_KEY` declares it, and FastAPI marks every operation whose caller it reads.
The statuses follow from what an operation has (a body, path parameters, a caller) and what
the error mapper (`errors.py`) answers; the codes an operation adds to its status's usual
ones are in `openapi_facts.CODES`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from karakoram.entrypoints.http.errors import _TITLES, PROBLEM_JSON
from karakoram.entrypoints.http.openapi_examples import EXAMPLES
from karakoram.entrypoints.http.openapi_facts import (
    CODES,
    REFUSED,
    REPEATS,
    REPORT_MEDIA,
    REPORTS,
    TAGS,
)

Schema = dict[str, Any]
PROBLEM_REF = "#/components/schemas/Problem"

#: the usual codes of each status the node refuses with (errors.py and domain/errors.py)
STATUS_CODES: dict[int, tuple[str, ...]] = {
    400: ("bad_request", "bad_content_length"),
    401: ("authentication_failed",),
    403: ("missing_capability", "not_allowed"),
    404: ("not_found",),
    409: ("conflict",),
    413: ("too_large",),
    415: ("unsupported_media_type",),
    422: ("validation_failed",),
    429: ("too_many_attempts",),
    500: ("internal_error",),
}
_MEANING = {
    400: "The request cannot be read.",
    401: "No API key, or one that is unknown or revoked.",
    403: "The caller's role may not do this, or may not act for this party.",
    404: "No such thing, or not visible to the caller.",
    409: "The request contradicts what is stored; nothing changed.",
    413: "The body is over this route's byte limit.",
    415: "The body's media type is not one this operation takes.",
    422: "Every problem with the request at once (`errors`: code, JSON pointer, message); "
    "nothing stored.",
    429: "Too many failed attempts: wait `retry_after` seconds (also `Retry-After`).",
    500: "The node failed; quote `error_id` to its operators.",
}

PROBLEM: Schema = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details, always with a stable `code`.",
    "required": ["type", "title", "status", "code"],
    "properties": {
        "type": {"type": "string", "examples": ["urn:karakoram:problem:validation-failed"]},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The path of the request."},
        "code": {"type": "string", "description": "Stable, for programs: see each status."},
        "error_id": {"type": "string", "description": "The request id, for the node's logs."},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/ProblemField"}},
        "retry_after": {"type": "integer", "description": "Seconds before trying again."},
    },
    "additionalProperties": True,
}
PROBLEM_FIELD: Schema = {
    "type": "object",
    "title": "ProblemField",
    "required": ["code", "pointer", "message"],
    "properties": {
        "code": {"type": "string", "examples": ["required"]},
        "pointer": {"type": "string", "description": "JSON pointer to the field."},
        "message": {"type": "string"},
    },
}


def install_openapi(app: FastAPI) -> None:
    """Make `app.openapi()` return the completed document (built once, then kept)."""
    generate: Callable[[], Schema] = app.openapi
    done: list[Schema] = []

    def openapi() -> Schema:
        if not done:
            done.append(complete(copy.deepcopy(generate())))
            app.openapi_schema = done[0]
        return done[0]

    app.openapi = openapi  # type: ignore[method-assign]


def complete(schema: Schema) -> Schema:
    """Everything the module's docstring lists, added to FastAPI's document."""
    schemas = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    schemas["Problem"] = PROBLEM
    schemas["ProblemField"] = PROBLEM_FIELD
    used_tags: set[str] = set()
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            key = f"{method.upper()} {path}"
            operation["tags"] = list(dict.fromkeys(operation.get("tags", [])))
            used_tags.update(operation["tags"])
            if key in REPEATS:
                _document_repeat(operation)
            if key in REPORTS:
                operation["responses"]["200"]["content"].update(copy.deepcopy(REPORT_MEDIA))
            _document_problems(key, operation, secured="security" in operation)
            _add_examples(key, operation)
    schema["tags"] = [
        {"name": name, "description": TAGS.get(name, "")} for name in TAGS if name in used_tags
    ] + [{"name": name, "description": ""} for name in sorted(used_tags - set(TAGS))]
    return schema


def _document_repeat(operation: Schema) -> None:
    """The 200 of a resubmission: the 201's body, as first stored."""
    responses = operation["responses"]
    said = responses.get("200", {}).get("description")
    responses["200"] = {
        "description": said
        or "Sent before: the answer describes what was stored then; nothing new is stored.",
        "content": copy.deepcopy(responses["201"]["content"]),
    }


def statuses_of(key: str, operation: Schema, secured: bool) -> list[int]:
    """The refusals an operation can answer with, from what it has."""
    has_body = "requestBody" in operation
    params = operation.get("parameters", [])
    found = {500} | set(CODES.get(key, {}))
    if secured:
        found |= {401, 403, 429}
    if has_body:
        found |= {400, 413, 415, 422}
    if params:
        found.add(422)
    if any(p.get("in") == "path" for p in params):
        found.add(404)
    return sorted(found)


def _document_problems(key: str, operation: Schema, secured: bool) -> None:
    responses = operation.setdefault("responses", {})
    for status in statuses_of(key, operation, secured):
        codes = list(dict.fromkeys([*CODES.get(key, {}).get(status, ()), *STATUS_CODES[status]]))
        said = responses.get(str(status), {}).get("description", "")
        meaning = said if said and said != "Validation Error" else _MEANING[status]
        listed = ", ".join(f"`{code}`" for code in codes)
        responses[str(status)] = {
            "description": f"{meaning} Codes: {listed}.",
            "x-problem-codes": codes,
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": PROBLEM_REF},
                    "example": _problem_example(key, status, codes[0]),
                }
            },
        }


#: the problem `type` of codes an error carries as an attribute (the type names the error's kind)
_TYPE_OF = {
    "missing_capability": "permission-denied",
    "not_allowed": "permission-denied",
    "no_partner_takes_aeo_lists": "no-list-taker",
    **{code: "refused" for status, codes in REFUSED.items() if status != 413 for code in codes},
}


def _problem_example(key: str, status: int, code: str) -> Schema:
    path = key.partition(" ")[2]
    example: Schema = {
        "type": f"urn:karakoram:problem:{_TYPE_OF.get(code, code.replace('_', '-'))}",
        "title": _TITLES.get(status, "Request refused"),
        "status": status,
        "detail": _MEANING[status].split(";")[0].split(":")[0].rstrip("."),
        "instance": path,
        "code": code,
        "error_id": "0c5e7f0a6b1d4c9e8a2f3b4d5e6f7a8b",
    }
    if status == 422:
        example["errors"] = [{"code": "required", "pointer": "/lrn", "message": "lrn is required."}]
    if status == 429:
        example["retry_after"] = 30
    return example


def _add_examples(key: str, operation: Schema) -> None:
    example = EXAMPLES.get(key)
    if example is None:
        return
    for parameter in operation.get("parameters", []):
        if parameter["name"] in example.params:
            parameter["example"] = example.params[parameter["name"]]
    body = operation.get("requestBody", {}).get("content", {})
    if example.request is not None and body:
        media_type = example.request_type if example.request_type in body else next(iter(body))
        body[media_type]["example"] = example.request
    status, answer = example.response
    content = operation["responses"].get(str(status), {}).get("content", {})
    if content:
        content[next(iter(content))]["example"] = answer
