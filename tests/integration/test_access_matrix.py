"""The role x route matrix: every operation of the OpenAPI document and every web page, asked
by every role, answers as the one table (`domain.access.PERMISSIONS`) says: a role holding the
route's capability is never refused (not 401/403), any other role gets 403. Beside it, a
hand-written list of pairs that must never be allowed, kept apart from the table so that the
table cannot approve itself. Run on SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fastapi.routing
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from karakoram.bootstrap import Node
from karakoram.domain.access import PERMISSIONS, Capability, Role, may
from karakoram.entrypoints.http.app import create_app
from karakoram.services.users import add_user
from tests.builders import TRADER, declaration
from tests.integration.test_clearance import EXAMPLES, RATES, RULES
from tests.integration.test_web import csrf_of

#: routes open to anyone signed in (or to no one in particular), each with why
OPEN = {
    ("GET", "/health"): "liveness, for load balancers",
    ("GET", "/ready"): "readiness, for load balancers (states, never error texts)",
    ("GET", "/users/me"): "who the caller is",
    ("POST", "/exchange/messages"): "authenticated by the partner's signature, not a role",
    ("POST", "/exchange/held"): "authenticated by the partner's signature, not a role",
    ("POST", "/exchange/batch"): "authenticated by the partner's signature, not a role",
    ("POST", "/exchange/checkpoints"): "authenticated by the partner's signed request, not a role",
    ("GET", "/ui"): "the home page shows each role its own doors",
    ("GET", "/ui/sign-in"): "signing in",
    ("POST", "/ui/sign-in"): "signing in",
    ("POST", "/ui/sign-out"): "signing out",
    ("POST", "/ui/language"): "choosing a language",
    ("GET", "/ui/hs-codes"): "the public HS nomenclature",
    ("GET", "/verify/release"): "anyone holding a release note checks its QR code",
    ("GET", "/ui/verify/release"): "anyone holding a release note checks its QR code",
    ("GET", "/trader-ca/certificate"): "what a verifier of a signed contract trusts",
    ("GET", "/trader-ca/crl"): "what a verifier of a signed contract checks revocation with",
    ("GET", "/ui/vendor/plotly.min.js"): "a static script",
    ("GET", "/ui/vendor/plotly.css"): "a static stylesheet",
}

#: Pairs that must NEVER be allowed, whatever the table says: (roles, method, path pattern).
#: Written by hand from the issue (confidential selectivity), not derived from PERMISSIONS.
OUTSIDERS = (Role.TRADER, Role.PARTNER, Role.CARRIER)
NEVER: list[tuple[tuple[Role, ...], str, str]] = [
    # rule sets, watch lists, validation, back-tests
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "GET", r"/policy/rules"),
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "GET", r"/policy/rules/\d+"),
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST), "POST", r"/policy/rules/validate"),
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST), "POST", r"/policy/rules/\d+/backtest"),
    (OUTSIDERS, "POST", r"/policy/\w+"),
    (OUTSIDERS, "POST", r"/policy/\w+/\d+/activate"),
    (OUTSIDERS, "POST", r"/policy/\w+/rollback"),
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "GET", r"/ui/rules.*"),
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "POST", r"/ui/rules.*"),
    # officers' work, overrides, the queue
    (OUTSIDERS, "POST", r"/declarations/[^/]+/(actions/.*|channel|payments)"),
    (OUTSIDERS, "GET", r"/(ui/)?queue"),
    # joint inspections: officers of both administrations, never a trader or carrier
    (OUTSIDERS, "GET|POST", r"/joint-inspections.*|/declarations/[^/]+/joint-inspections"),
    (OUTSIDERS, "GET", r"/ui/declarations/[^/]+"),
    # the partner's records, the exchange's state, statistics (the audit trail's neighbours)
    (OUTSIDERS, "GET", r"/consignments/[^/]+/partner"),
    (OUTSIDERS, "GET|POST", r"/(ui/)?exchange/(status|replay)|/ui/exchange"),
    (OUTSIDERS, "GET|POST", r"/(ui/)?stats/.*"),
    # degraded mode: the partner's state, and the imports checked again (post-clearance reviews)
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST), "GET", r"/exchange/partners/state"),
    ((*OUTSIDERS, Role.ANALYST, Role.ADMINISTRATOR), "GET", r"/pre-arrival-checks"),
    (OUTSIDERS, "GET", r"/partner-cargo-reports"),
    # carriers' cargo reports: lodged by carriers only
    ((Role.TRADER, Role.PARTNER, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "POST",
     r"/cargo-reports"),
    # attached documents: the declarant, its representative and the node's officers only
    ((Role.PARTNER, Role.CARRIER, Role.ANALYST), "GET", r"/attachments/.*"),
    # documents shared with the partner: sent by officers only, read by the partner's officers
    ((*OUTSIDERS, Role.ANALYST, Role.ADMINISTRATOR), "POST",
     r"/declarations/[^/]+/attachments/[^/]+/share"),
    ((*OUTSIDERS, Role.ANALYST, Role.ADMINISTRATOR), "GET",
     r"/(ui/)?consignments/[^/]+/partner/documents.*"),
    # crossing slots: booked by carriers only; the day view (risk, readiness) never to outsiders
    ((Role.TRADER, Role.PARTNER, Role.OFFICER, Role.ANALYST, Role.ADMINISTRATOR), "POST",
     r"/slots/bookings"),
    (OUTSIDERS, "GET", r"/slots/day"),
    # the gate's decisions on a truck: officers and supervisors only
    ((*OUTSIDERS, Role.ANALYST, Role.ADMINISTRATOR), "POST",
     r"/cargo-reports/\d+/(exit|discrepancies/\d+/resolution)"),
    # the audit trail
    ((*OUTSIDERS, Role.OFFICER, Role.ANALYST, Role.RISK_ANALYST), "GET|POST", r"/audit/.*"),
    # administration
    ((*OUTSIDERS, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.RISK_ANALYST), "GET|POST|PUT",
     r"/users(/[^/]+/(password|revoke))?"),
    ((*OUTSIDERS, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.RISK_ANALYST), "GET|PUT",
     r"/admin/clock"),
    ((*OUTSIDERS, Role.OFFICER, Role.SUPERVISOR, Role.ANALYST, Role.RISK_ANALYST), "GET|POST",
     r"/ui/admin/.*"),
]  # fmt: skip


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    #: the capability the route's guard requires, by `{kind}` for the policy routes
    guard: Capability | dict[str, Capability] | None


def _guard(route: Any) -> Capability | dict[str, Capability] | None:
    for dep in getattr(route, "dependencies", []):
        fn = dep.dependency
        if hasattr(fn, "capability"):
            return fn.capability  # type: ignore[no-any-return]
        if hasattr(fn, "capability_by_kind"):
            return fn.capability_by_kind  # type: ignore[no-any-return]
    return None


def _walk(routes: list[Any]) -> Iterator[tuple[Any, str]]:
    """Every route of the app with its full path (included routers flattened)."""
    for r in routes:
        included = getattr(fastapi.routing, "_IncludedRouter", None)
        if included is not None and isinstance(r, included):
            for c in r.effective_candidates():
                if isinstance(c, included):
                    yield from _walk([c])
                else:
                    yield c.original_route, c.path
        elif hasattr(r, "path"):
            yield r, r.path


def app_routes(app: FastAPI) -> list[Route]:
    found = []
    for route, path in _walk(app.routes):
        for method in sorted(getattr(route, "methods", None) or []):
            if method != "HEAD":
                found.append(Route(method, path, _guard(route)))
    return found


def api_routes(app: FastAPI) -> list[Route]:
    """The OpenAPI document's operations, each with its route's guard."""
    by_key = {(r.method, r.path): r for r in app_routes(app)}
    operations = [
        (method.upper(), path) for path, item in app.openapi()["paths"].items() for method in item
    ]
    missing = [op for op in operations if op not in by_key]
    assert not missing, f"operations without a route: {missing}"
    return [by_key[op] for op in operations]


def web_routes(app: FastAPI) -> list[Route]:
    return [r for r in app_routes(app) if r.path.startswith("/ui") and r.path != "/ui/static"]


@dataclass
class World:
    client: TestClient
    keys: dict[Role, str]
    mrn: str
    ucr: str
    versions: dict[str, int]

    def headers(self, role: Role) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.keys[role]}"}


def _load(world: World, kind: str, text: str, content_type: str) -> None:
    client, supervisor = world.client, world.headers(Role.SUPERVISOR)
    stored = client.post(
        f"/policy/{kind}",
        content=text.encode(),
        headers=supervisor | {"Content-Type": content_type},
    )
    assert stored.status_code == 201, stored.text
    version = stored.json()["version"]
    activated = client.post(
        f"/policy/{kind}/{version}/activate", json={"reason": "matrix"}, headers=supervisor
    )
    assert activated.status_code == 200, activated.text
    world.versions[kind] = version


@pytest.fixture
def world(node: Node) -> Iterator[World]:
    keys = {
        role: add_user(
            f"matrix-{role.value}",
            role.value,
            {Role.TRADER: TRADER, Role.CARRIER: "CN-HAUL-0001"}.get(role),
            node.ctx,
            node.hasher,
        ).api_key
        for role in Role
    }
    with TestClient(create_app(node)) as client:
        w = World(client, keys, "", "", {})
        _load(w, "rates", RATES, "text/csv")
        _load(w, "tariff", (EXAMPLES / "tariff-cn-import.toml").read_text(), "application/toml")
        _load(w, "rules", RULES, "application/toml")
        lodged = client.post("/declarations", json=declaration(), headers=w.headers(Role.TRADER))
        assert lodged.status_code == 201, lodged.text
        w.mrn, w.ucr = lodged.json()["mrn"], lodged.json()["declaration"]["ucr"]
        yield w


def expand(route: Route, world: World) -> list[tuple[str, Capability | None]]:
    """Concrete paths for a route, each with the capability it needs. Names that would change
    someone (a user to revoke, a password to set) are ones that do not exist."""
    kinds = route.guard if isinstance(route.guard, dict) else None
    found = []
    for kind in kinds or ["rules"]:
        path = (
            route.path.replace("{mrn}", world.mrn)
            .replace("{ucr}", world.ucr)
            .replace("{kind}", kind)
            .replace("{version:int}", str(world.versions["rules"]))
            .replace("{version}", str(world.versions[kind]))
            .replace("{action}", "request-documents")
            .replace("{name}", "nobody")
            .replace("{user}", "nobody")
            .replace("{fmt}", "csv")
            .replace("{mandate_id}", "999999")
            .replace("{entry_id}", "999999")
            .replace("{job_id}", "no-such-job")
            .replace("{report_id}", "999999")
            .replace("{sha256}", "0" * 64)
            .replace("{proposal_id}", "no-such-proposal")
            .replace("{endpoint_id}", "999999")
            .replace("{request_id}", "999999")
            .replace("{seq}", "1")
            .replace("{serial}", "999999")
        )
        assert "{" not in path, path
        cap = kinds[kind] if kinds else route.guard
        assert cap is None or isinstance(cap, Capability)
        found.append((path, cap))
    return found


def _call(client: TestClient, method: str, path: str, **extra: Any) -> int:
    if method == "GET":
        return client.get(path, follow_redirects=False, **extra).status_code
    if method == "PUT":
        return client.put(path, json={}, **extra).status_code
    # a body without a media type: the edge's 415 (a declared type the body lacks) never
    # answers before the capability check does
    kw = {"data": extra.pop("data")} if "data" in extra else {"content": b"{}"}
    return client.post(path, follow_redirects=False, **kw, **extra).status_code


def _verdict(status: int, role: Role, cap: Capability) -> str | None:
    """Why `status` is wrong for `role` under the table, or None."""
    if status >= 500:
        return f"server error {status}"
    if may(role, cap) and status in (401, 403):
        return f"refused ({status}) though the table allows {cap.value}"
    if not may(role, cap) and status != 403:
        return f"answered {status} though the table refuses {cap.value}"
    return None


def test_every_route_is_guarded_by_the_table_or_listed_as_open(node: Node) -> None:
    app = create_app(node)
    routes = api_routes(app) + web_routes(app)
    unguarded = {(r.method, r.path) for r in routes if r.guard is None}
    assert unguarded == set(OPEN), "route without a capability (add needs(...)) or stale OPEN"
    assert len(routes) > 60


def test_every_api_operation_answers_each_role_as_the_table_says(world: World) -> None:
    wrong = []
    for route in api_routes(world.client.app):  # type: ignore[arg-type]
        if route.guard is None:
            continue
        for path, cap in expand(route, world):
            assert cap is not None
            for role in Role:
                status = _call(world.client, route.method, path, headers=world.headers(role))
                why = _verdict(status, role, cap)
                if why:
                    wrong.append(f"{role.value} {route.method} {path}: {why}")
    assert not wrong, "\n".join(wrong)


def _signed_in(world: World, role: Role) -> tuple[TestClient, str]:
    """A browser signed in as `role`, and its CSRF token."""
    client = TestClient(world.client.app)
    page = client.get("/ui/sign-in")
    response = client.post("/ui/sign-in", data={"csrf": csrf_of(page), "api_key": world.keys[role]})
    assert response.status_code == 200, (role, response.text[:300])
    return client, csrf_of(client.get("/ui"))


WEB_ROLES = [r for r in Role if r is not Role.PARTNER]


def test_every_web_page_answers_each_role_as_the_table_says(world: World) -> None:
    wrong = []
    routes = [r for r in web_routes(world.client.app) if r.guard is not None]  # type: ignore[arg-type]
    for role in WEB_ROLES:
        client, csrf = _signed_in(world, role)
        for route in routes:
            for path, cap in expand(route, world):
                assert cap is not None
                extra = {"data": {"csrf": csrf}} if route.method == "POST" else {}
                status = _call(client, route.method, path, **extra)
                why = _verdict(status, role, cap)
                if why:
                    wrong.append(f"{role.value} {route.method} {path}: {why}")
    assert not wrong, "\n".join(wrong)


def test_a_partner_node_cannot_sign_in_to_the_web_pages(world: World) -> None:
    client = TestClient(world.client.app)
    page = client.get("/ui/sign-in")
    response = client.post(
        "/ui/sign-in", data={"csrf": csrf_of(page), "api_key": world.keys[Role.PARTNER]}
    )
    assert client.get("/ui/rules", follow_redirects=False).status_code in (303, 401, 403)
    assert "/ui/rules" not in response.text


def _never_pairs(world: World) -> list[tuple[Role, str, str]]:
    app = world.client.app
    concrete = [
        (route.method, path)
        for route in api_routes(app) + web_routes(app)  # type: ignore[arg-type]
        for path, _ in expand(route, world)
    ]
    pairs = []
    for roles, methods, pattern in NEVER:
        hits = [
            (m, p)
            for m, p in concrete
            if re.fullmatch(methods, m) and re.fullmatch(pattern, p) and (m, p) not in OPEN
        ]
        assert hits, f"NEVER pattern {methods} {pattern} matches no route: stale?"
        pairs += [(role, m, p) for role in roles for m, p in hits]
    return pairs


def test_pairs_that_must_never_be_allowed_are_refused(world: World) -> None:
    wrong = []
    browsers = {role: _signed_in(world, role) for role in WEB_ROLES}
    for role, method, path in _never_pairs(world):
        if path.startswith("/ui"):
            if role is Role.PARTNER:
                continue  # cannot sign in at all (test above)
            client, csrf = browsers[role]
            extra = {"data": {"csrf": csrf}} if method == "POST" else {}
            status = _call(client, method, path, **extra)
        else:
            status = _call(world.client, method, path, headers=world.headers(role))
        if status != 403:
            wrong.append(f"{role.value} {method} {path}: {status}")
    assert not wrong, "\n".join(wrong)


def test_the_table_itself_refuses_the_never_list() -> None:
    """The table and the hand-written list agree on the capabilities behind them."""
    for role in (Role.TRADER, Role.PARTNER):
        for cap in (
            Capability.READ_RULE_SETS,
            Capability.EDIT_RULE_SETS,
            Capability.BACKTEST,
            Capability.READ_FIRED_RULES,
            Capability.ACT_ON_DECLARATION,
            Capability.ADMINISTER_USERS,
            Capability.ADMINISTER_NODE,
            Capability.WATCH_EXCHANGE,
        ):
            assert not may(role, cap), (role, cap)
    assert not may(Role.ANALYST, Capability.READ_RULE_SETS)
    assert not may(Role.ANALYST, Capability.BACKTEST)
    assert not may(Role.OFFICER, Capability.READ_RULE_SETS)
    assert may(Role.RISK_ANALYST, Capability.BACKTEST)
    assert set(PERMISSIONS) == set(Capability)


def test_an_administrator_creates_a_risk_analyst_who_reads_rules_but_cannot_change_them(
    world: World,
) -> None:
    c, admin = world.client, world.headers(Role.ADMINISTRATOR)
    created = c.post("/users", json={"name": "rita", "role": "risk_analyst"}, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == "risk_analyst"
    rita = {"Authorization": f"Bearer {created.json()['api_key']}"}
    version = world.versions["rules"]
    assert c.get(f"/policy/rules/{version}", headers=rita).status_code == 200
    assert c.post(f"/policy/rules/{version}/backtest", headers=rita).status_code == 200
    refused = c.post(f"/policy/rules/{version}/activate", json={}, headers=rita)
    assert refused.status_code == 403 and refused.json()["code"] == "missing_capability"
    # the statistician lost rule sets and back-tests
    analyst = world.headers(Role.ANALYST)
    assert c.post(f"/policy/rules/{version}/backtest", headers=analyst).status_code == 403
    # on the web: the rule sets without the forms that change them
    browser = TestClient(c.app)
    page = browser.get("/ui/sign-in")
    browser.post("/ui/sign-in", data={"csrf": csrf_of(page), "api_key": created.json()["api_key"]})
    rules = browser.get("/ui/rules")
    assert rules.status_code == 200 and "ui-rule-activate" not in rules.text
    assert f"/ui/rules/{version}/activate" not in rules.text
    assert browser.get(f"/ui/rules/{version}/backtest").status_code == 200
