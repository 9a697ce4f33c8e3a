"""The node's OpenAPI document: valid OpenAPI 3.1, an Authorize button on exactly the operations
that read an API key, every tag described, every refusal documented as problem+json (never
FastAPI's HTTPValidationError), and an example request and response for every operation that
is valid against the operation's own schema. Examples that stand for real input are sent to
the node, which takes them."""

from __future__ import annotations

from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from karakoram.entrypoints.http.openapi_bodies import DECLARATION, RULES_TOML
from karakoram.entrypoints.http.openapi_examples import EXAMPLES

PROBLEM_JSON = "application/problem+json"
#: operations a caller reaches without an API key: partners sign their messages, probes
UNAUTHENTICATED = {
    "POST /exchange/messages",
    "POST /exchange/held",
    "POST /exchange/batch",
    "POST /exchange/checkpoints",
    "GET /ready",
    "GET /health",
    "GET /verify/release",  # anyone holding a release note checks its QR code
    "GET /trader-ca/certificate",  # what a verifier of a signed contract trusts
    "GET /trader-ca/crl",  # and the revocations it checks
}


@pytest.fixture
def schema(client) -> dict[str, Any]:
    return client.get("/openapi.json").json()


def operations(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        f"{method.upper()} {path}": operation
        for path, item in schema["paths"].items()
        for method, operation in item.items()
    }


def validator(schema: dict[str, Any], part: dict[str, Any]) -> Draft202012Validator:
    """A JSON Schema validator for `part`, resolving the document's `#/components/...`
    (carried beside it, so the pointers resolve in the validator's root)."""
    return Draft202012Validator({**part, "components": schema["components"]})


def test_the_document_is_valid_openapi_3_1(schema):
    assert schema["openapi"].startswith("3.1")
    validate(schema)


def test_operations_that_read_an_api_key_say_so_and_only_they(schema):
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    unsecured = {key for key, op in operations(schema).items() if "security" not in op}
    assert unsecured == UNAUTHENTICATED
    for key, op in operations(schema).items():
        if key not in UNAUTHENTICATED:
            assert op["security"] == [{"apiKey": []}], key
            assert {"401", "403", "429"} <= set(op["responses"]), key


def test_every_tag_is_described_once(schema):
    described = {tag["name"]: tag["description"] for tag in schema["tags"]}
    used = {tag for op in operations(schema).values() for tag in op["tags"]}
    assert used == set(described)
    assert all(described.values())
    assert all(len(op["tags"]) == len(set(op["tags"])) for op in operations(schema).values())


def test_every_refusal_is_problem_json_with_its_codes(schema):
    assert "HTTPValidationError" not in str(schema)
    problem = validator(schema, {"$ref": "#/components/schemas/Problem"})
    for key, op in operations(schema).items():
        refusals = {s: r for s, r in op["responses"].items() if s.startswith(("4", "5"))}
        assert "500" in refusals, key
        if op.get("parameters") or "requestBody" in op:
            assert "422" in refusals, key
        for status, response in refusals.items():
            if key == "GET /ready" and status == "503":
                continue  # readiness: its own JSON report, not a refusal
            content = response["content"]
            assert list(content) == [PROBLEM_JSON], (key, status)
            assert response["x-problem-codes"], (key, status)
            example = content[PROBLEM_JSON]["example"]
            problem.validate(example)
            assert example["status"] == int(status)
            assert example["code"] in response["x-problem-codes"]
    lodge = operations(schema)["POST /declarations"]["responses"]
    assert "lrn_conflict" in lodge["409"]["x-problem-codes"]
    assert "not_represented" in lodge["403"]["x-problem-codes"]


def test_every_operation_has_a_valid_example_request_and_response(schema):
    found = operations(schema)
    assert set(found) <= set(EXAMPLES), sorted(set(found) - set(EXAMPLES))
    for key, op in found.items():
        for parameter in op.get("parameters", []):
            if "example" in parameter:
                validator(schema, parameter["schema"]).validate(parameter["example"])
        for media_type in op.get("requestBody", {}).get("content", {}).values():
            if "example" in media_type:
                validator(schema, media_type.get("schema", {})).validate(media_type["example"])
        if "requestBody" in op:
            assert any("example" in m for m in op["requestBody"]["content"].values()), key
        answered = [
            (status, m)
            for status, r in op["responses"].items()
            if status.startswith("2")
            for m in r.get("content", {}).values()
            if "example" in m
        ]
        no_body = all(not r.get("content") for s, r in op["responses"].items() if s[0] == "2")
        assert answered or no_body, key
        for _, media_type in answered:
            validator(schema, media_type.get("schema", {})).validate(media_type["example"])


def test_the_example_declaration_and_rules_are_taken_by_the_node(client, keys):
    lodged = client.post("/declarations", json=DECLARATION, headers=keys.trader)
    assert lodged.status_code == 201, lodged.text
    rules = client.post(
        "/policy/rules/validate",
        content=RULES_TOML,
        headers={**keys.supervisor, "Content-Type": "application/toml"},
    )
    assert rules.status_code == 200, rules.text
    assert rules.json()["valid"] is True
