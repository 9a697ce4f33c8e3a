"""Fuzz the API of a running node from its own OpenAPI (schemathesis): a `karakoram serve`
process on loopback holding a small demo-like data set, called as a supervisor and as a
trader with valid and invalid requests. Whatever comes, no answer is a 5xx, and every 4xx is
problem+json with `type`, `title`, `status` and a stable `code`.

Bounded: a few examples per operation and role, and `BUDGET_SECONDS` in all. Select it alone
with `-m fuzz`; `KARAKORAM_FUZZ_EXAMPLES` raises the examples per operation for a longer run.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.core.transport import Response

from tests.builders import GREEN_RULES, TRADER, declaration
from tests.e2e.test_two_nodes import EXAMPLES, Node

pytestmark = pytest.mark.fuzz

EXAMPLES_PER_OPERATION = int(os.environ.get("KARAKORAM_FUZZ_EXAMPLES", "25"))
BUDGET_SECONDS = 150
PROBLEM_FIELDS = {"type", "title", "status", "code"}


@schemathesis.serializer("application/jose")
def _jose(ctx, value):
    """A compact JWS is text: whatever was generated goes as its text."""
    text = value if isinstance(value, str | bytes) else json.dumps(value)
    return {"data": text.encode() if isinstance(text, str) else text}


@dataclass
class Findings:
    """What broke the rules, one entry per (operation, status, what), with one example each."""

    calls: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    broken: dict[tuple[str, int, str], str] = field(default_factory=dict)

    def judge(self, label: str, case: schemathesis.Case, response: Response) -> None:
        self.calls += 1
        status = response.status_code
        self.statuses[status] = self.statuses.get(status, 0) + 1
        what = _what_is_wrong(response)
        if what:
            key = (label, status, what)
            self.broken.setdefault(
                key, f"{case.as_curl_command()}\n  -> {response.content[:300]!r}"
            )


def _what_is_wrong(response: Response) -> str | None:
    status = response.status_code
    if status >= 500:
        return "a server error"
    if status < 400:
        return None
    content_type = ",".join(response.headers.get("content-type", []))
    if not content_type.startswith("application/problem+json"):
        return f"a {content_type or 'typeless'} refusal, not problem+json"
    try:
        body = json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return "problem+json that is not JSON"
    if not isinstance(body, dict) or not set(body) >= PROBLEM_FIELDS:
        return f"a problem without {sorted(PROBLEM_FIELDS - set(body or {}))}"
    if body["status"] != status or not isinstance(body["code"], str) or not body["code"]:
        return "a problem whose status or code is wrong"
    return None


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A CN node with the example policy, a supervisor, a trader and a few declarations."""
    node = Node(tmp_path_factory.mktemp("fuzz"), "CN-URC", "CN", "CNY", "CNKJB")
    node.run("db", "upgrade")
    node.run("keys", "new", "--out", str(node.dir / "key.pem"), "--kid", "CN-URC-1")
    (node.dir / "rules.toml").write_text(GREEN_RULES)
    node.run("rates", "load", str(EXAMPLES / "rates-cn.csv"))
    node.run("tariff", "load", str(EXAMPLES / "tariff-cn-import.toml"))
    node.run("rules", "load", str(node.dir / "rules.toml"), "--activate")
    keys = {}
    for name, role, party in (("boss", "supervisor", None), ("kashgar", "trader", TRADER)):
        args = ["users", "add", name, "--role", role] + (["--party", party] if party else [])
        added = node.run(*args)
        keys[role] = next(line for line in added.splitlines() if line.startswith("kk_"))
    node.start()
    trader = {"Authorization": f"Bearer {keys['trader']}"}
    for n in range(3):
        lodged = httpx.post(
            f"{node.url}/declarations", json=declaration(f"FUZZ-{n}"), headers=trader
        )
        assert lodged.status_code in (200, 201), lodged.text
    yield node, keys
    node.kill()


def _fuzz(operation, base_url: str, headers: dict[str, str], check: Callable) -> None:
    strategy = operation.as_strategy(GenerationMode.POSITIVE) | operation.as_strategy(
        GenerationMode.NEGATIVE
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: schemathesis.Case) -> None:
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError):
            return  # a request the client library itself will not send
        check(case, response)

    run()


def test_fuzzed_requests_get_no_5xx_and_every_refusal_is_a_problem(served, report):
    node, keys = served
    schema = schemathesis.openapi.from_url(f"{node.url}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    findings = Findings()
    started = time.monotonic()
    skipped = 0
    for operation in operations:
        label = f"{operation.method.upper()} {operation.path}"
        for role in ("supervisor", "trader"):
            if time.monotonic() - started > BUDGET_SECONDS:
                skipped += 1
                continue
            headers = {"Authorization": f"Bearer {keys[role]}"}
            _fuzz(
                operation, node.url, headers, lambda c, r, label=label: findings.judge(label, c, r)
            )
    took = time.monotonic() - started
    assert node.process is not None and node.process.poll() is None, "the node died"
    report(
        "Fuzz (schemathesis) against a running node",
        f"{len(operations)} operations x 2 roles, {findings.calls} calls in {took:.0f} s "
        f"({skipped} operation-roles left for lack of time); statuses: "
        + ", ".join(f"{s}: {n}" for s, n in sorted(findings.statuses.items())),
    )
    assert skipped == 0, f"{skipped} operation-roles were not fuzzed within {BUDGET_SECONDS} s"
    assert not findings.broken, "\n".join(
        f"{label} answered {status} with {what}:\n  {example}"
        for (label, status, what), example in sorted(findings.broken.items())
    )
