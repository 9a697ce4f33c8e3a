"""The HTTP edge: request ids, problem+json for every refusal, body limits while streaming,
media types, number and range bounds, browser headers (issue 14, "Input bounds, one place",
"Browser headers", the "Crashes" bullet)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from karakoram.bootstrap import Node
from karakoram.entrypoints.http.app import create_app
from karakoram.entrypoints.http.errors import PROBLEM_JSON
from tests.builders import declaration as declaration_payload
from tests.integration.conftest import Keys

pytestmark = pytest.mark.filterwarnings("error")


def _problem(response: object, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == PROBLEM_JSON  # type: ignore[attr-defined]
    body: dict[str, object] = response.json()  # type: ignore[attr-defined]
    assert body["status"] == status
    assert body["error_id"] == response.headers["x-request-id"]  # type: ignore[attr-defined]
    if code is not None:
        codes = [body.get("code")] + [e["code"] for e in body.get("errors", [])]  # type: ignore[attr-defined]
        assert code in codes, body
    return body


@pytest.fixture
def small_client(node: Node) -> Iterator[TestClient]:
    """A node whose API routes take at most 4 KiB, and the inbox 8 KiB."""
    node.settings.body_limit = 4096
    node.settings.body_limits = {**node.settings.body_limits, "/exchange/messages": 8192}
    with TestClient(create_app(node), raise_server_exceptions=False) as test_client:
        yield test_client


# -- request ids and logs ---------------------------------------------------------------


def test_a_sane_request_id_is_echoed_and_an_insane_one_replaced(client: TestClient) -> None:
    assert (
        client.get("/health", headers={"X-Request-ID": "abc-123"}).headers["x-request-id"]
        == "abc-123"
    )
    made = client.get("/health", headers={"X-Request-ID": 'a b"<script>' * 10})
    assert made.headers["x-request-id"] != 'a b"<script>' * 10
    assert len(made.headers["x-request-id"]) == 32


def test_every_problem_carries_the_request_id(client: TestClient, keys: Keys) -> None:
    response = client.get("/declarations/NOPE", headers={**keys.trader, "X-Request-ID": "r-1"})
    assert _problem(response, 404)["error_id"] == "r-1"


def test_each_request_is_logged_as_one_json_line_with_its_id(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="karakoram.http"):
        client.get("/health", headers={"X-Request-ID": "log-me"})
    from karakoram.entrypoints.http.logs import JsonFormatter

    lines = [
        json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "karakoram.http"
    ]
    assert {
        "message": "request",
        "request_id": "log-me",
        "path": "/health",
        "status": 200,
    }.items() <= lines[-1].items()


# -- every refusal is problem+json ------------------------------------------------------


def test_unknown_route_and_wrong_method_are_problems(client: TestClient, keys: Keys) -> None:
    assert _problem(client.get("/no/such/route"), 404, "not_found")
    assert _problem(client.delete("/health"), 405, "method_not_allowed")


def test_an_unexpected_exception_is_a_logged_500_problem_with_the_request_id(
    node: Node, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app(node)

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("kaboom")

    with (
        TestClient(app, raise_server_exceptions=False) as test_client,
        caplog.at_level(logging.ERROR, logger="karakoram.http"),
    ):
        response = test_client.get("/boom", headers={"X-Request-ID": "boom-1"})
    body = _problem(response, 500, "internal_error")
    assert "kaboom" not in response.text
    assert body["error_id"] == "boom-1"
    logged = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert logged and logged[-1].exc_info is not None
    assert logged[-1].exc_info[1] is not None and "kaboom" in str(logged[-1].exc_info[1])


def test_the_web_ui_answers_browsers_with_html_error_pages(client: TestClient) -> None:
    response = client.get("/ui/no/such/page")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>" in response.text


# -- body size, while streaming ----------------------------------------------------------


def test_an_announced_body_over_the_limit_is_refused_before_it_is_read(
    small_client: TestClient, keys: Keys
) -> None:
    response = small_client.post(
        "/declarations",
        content=b"{" + b" " * 5000 + b"}",
        headers={**keys.trader, "Content-Type": "application/json"},
    )
    _problem(response, 413, "too_large")
    assert len(response.text) < 600


def test_a_streamed_body_is_cut_off_at_the_limit(small_client: TestClient, keys: Keys) -> None:
    sent = []

    def chunks() -> Iterator[bytes]:
        for _ in range(1000):
            sent.append(1)
            yield b"x" * 1024

    response = small_client.post(
        "/declarations",
        content=chunks(),
        headers={**keys.trader, "Content-Type": "application/json"},
    )
    _problem(response, 413, "too_large")


def test_the_inbox_limit_is_the_message_limit_by_default(node: Node) -> None:
    from karakoram.domain.exchange.envelope import MAX_MESSAGE_BYTES

    assert node.settings.body_limits["/exchange/messages"] == MAX_MESSAGE_BYTES
    assert node.settings.body_limits["/exchange/held"] == MAX_MESSAGE_BYTES


def test_a_json_route_refuses_other_media_types(client: TestClient, keys: Keys) -> None:
    response = client.post(
        "/declarations",
        content=json.dumps(declaration_payload()),
        headers={**keys.trader, "Content-Type": "text/plain"},
    )
    _problem(response, 415, "unsupported_media_type")


# -- crashes of the issue ------------------------------------------------------------------


def test_json_nested_ten_thousand_deep_is_a_problem(client: TestClient, keys: Keys) -> None:
    deep = "[" * 10_000 + "]" * 10_000
    # this node has no signing key, so the exchange's batch refuses before parsing (409)
    for path, statuses in (("/declarations", (400, 422)), ("/exchange/batch", (400, 409, 422))):
        response = client.post(
            path, content=deep, headers={**keys.trader, "Content-Type": "application/json"}
        )
        assert response.status_code in statuses, (path, response.text)
        assert response.headers["content-type"] == PROBLEM_JSON


@pytest.mark.parametrize("value", ["1e309", "1e400", "NaN", "Infinity", "-Infinity"])
def test_overflowing_and_non_finite_numbers_are_field_errors(
    client: TestClient, keys: Keys, value: str
) -> None:
    data = declaration_payload()
    data["items"][0]["value"] = "PLACEHOLDER"
    raw = json.dumps(data).replace('"PLACEHOLDER"', value)
    response = client.post(
        "/declarations", content=raw, headers={**keys.trader, "Content-Type": "application/json"}
    )
    body = _problem(response, 422)
    pointers = [e["pointer"] for e in body["errors"]]  # type: ignore[attr-defined]
    assert "/items/0/value" in pointers, body


def test_a_decimal_beyond_the_schemas_precision_is_a_field_error(
    client: TestClient, keys: Keys
) -> None:
    data = declaration_payload()
    data["items"][0]["value"] = "1" + "0" * 30
    response = client.post("/declarations", json=data, headers=keys.trader)
    body = _problem(response, 422)
    assert any(e["pointer"] == "/items/0/value" for e in body["errors"])  # type: ignore[attr-defined]


@pytest.mark.parametrize("role", ["trader", "officer", "supervisor"])
def test_a_huge_integer_in_a_path_is_refused_for_every_role(
    client: TestClient, keys: Keys, role: str
) -> None:
    response = client.get("/policy/rules/99999999999999999999", headers=getattr(keys, role))
    body = _problem(response, 422, "out_of_range")
    assert "99999999999999999999" not in json.dumps(body["errors"])


def test_a_huge_integer_in_a_query_is_refused(client: TestClient, keys: Keys) -> None:
    response = client.get("/queue?min_age_minutes=482624656100", headers=keys.officer)
    _problem(response, 422, "out_of_range")
    response = client.get("/queue?min_age_minutes=2000000000", headers=keys.officer)
    _problem(response, 422, "out_of_range")


@pytest.mark.parametrize("period", ["0001-01-01..9999-12-31", "1001..9998"])
def test_statistics_periods_are_bounded(client: TestClient, keys: Keys, period: str) -> None:
    response = client.get("/stats/bulletin", params={"period": period}, headers=keys.analyst)
    _problem(response, 422)


def test_error_details_quote_only_a_prefix_of_the_value(client: TestClient, keys: Keys) -> None:
    data = declaration_payload()
    data["lrn"] = "Z" * 5000
    response = client.post("/declarations", json=data, headers=keys.trader)
    body = _problem(response, 422)
    assert "Z" * 100 not in json.dumps(body)


# -- browser headers ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/health", "/ui/sign-in", "/no/such/route"])
def test_every_response_carries_the_browser_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "strict-transport-security" not in headers


def test_hsts_is_sent_over_https(node: Node) -> None:
    with TestClient(create_app(node), base_url="https://node.example") as test_client:
        headers = test_client.get("/health").headers
    assert headers["strict-transport-security"].startswith("max-age=")


# -- uploads -------------------------------------------------------------------------------


def _bulk(client: TestClient, keys: Keys, body: bytes, media_type: str) -> dict[str, object]:
    response = client.post(
        "/declarations/bulk", content=body, headers={**keys.trader, "Content-Type": media_type}
    )
    assert response.status_code in (200, 422), response.text
    if response.status_code == 422:
        assert response.headers["content-type"] == PROBLEM_JSON
    return dict(response.json())


def test_invalid_utf8_in_an_upload_names_the_line(client: TestClient, keys: Keys) -> None:
    good = json.dumps(declaration_payload("LRN-OK")).encode()
    body = _bulk(client, keys, good + b"\n" + b'{"lrn": "\xff\xfe"}\n', "application/x-ndjson")
    assert "line 2" in json.dumps(body).lower()


def test_an_over_long_csv_field_names_the_line(client: TestClient, keys: Keys) -> None:
    body = b"lrn,type\nL-1," + b"X" * 200_000 + b"\n"
    assert "line 2" in json.dumps(_bulk(client, keys, body, "text/csv")).lower()


def test_an_over_long_jsonl_line_names_the_line(client: TestClient, keys: Keys) -> None:
    body = b'{"lrn": "' + b"X" * 2_000_000 + b'"}\n'
    client.app.state.node.settings.body_limits["/declarations/bulk"] = 8_000_000  # type: ignore[attr-defined]
    assert "line 1" in json.dumps(_bulk(client, keys, body, "application/x-ndjson")).lower()


def test_plotly_styles_are_served_as_a_stylesheet(client: TestClient) -> None:
    response = client.get("/ui/vendor/plotly.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
    assert ".js-plotly-plot .plotly" in response.text


@pytest.mark.parametrize("digits", ["¹", "³9", "٣"])  # digits to str.isdigit, not to int()
def test_a_number_in_other_scripts_digits_is_a_problem_not_a_crash(
    client: TestClient, keys: Keys, digits: str
) -> None:
    """Found by the fuzz run: `hours=¹` and `/mandates/³9/end` were 500s (the bounds check
    took str.isdigit for int()'s opinion)."""
    for method, path, params, who in (
        ("GET", "/exchange/refusals", {"hours": digits}, keys.supervisor),
        ("POST", f"/mandates/{digits}/end", None, keys.admin),
    ):
        answer = client.request(method, path, params=params, headers=who)
        assert answer.status_code in (403, 404, 422), (path, answer.status_code, answer.text)
        assert answer.headers["content-type"].startswith(PROBLEM_JSON)
