"""Server-side render times of the web UI's pages on a node holding N declarations.

A SQLite node gets N (100,000) CN export declarations through the bulk import service with the
example CN-URC policy active (rates, tariff, the Khunjerab rules), so every declaration is
assessed and the ones the rules or the random selection route red, yellow or blue wait in the
officer's queue. Then each page is fetched in process (FastAPI's TestClient: the whole ASGI
stack, the session cookie, the database and the template, no network) by a user of the role
that uses it, signed in through the sign-in form, R (60) times after a warm-up: p50 and p99.

The statistics pages read the analytical copy, refreshed from the node before timing.

The baseline, in the same run and through the same stack, is the sign-in form: a page with the
session, the CSRF token and a template but no query. The target is p99 < 200 ms per page.

    .venv/bin/python benchmarks/web_pages.py                 # N = 100,000
    .venv/bin/python benchmarks/web_pages.py --n 5000 --repeat 20

Pages: `PAGES` lists those that need a query string or a declaration; every other GET page
under /ui without path parameters is found in the app's routes and fetched as the role of the
module that serves it (`AREA_ROLES`), so new pages are measured without editing this file.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

from karakoram.data import example

TARGET_MS = 200.0
EXAMPLES = example("")
STAFF = {
    "officer": "officer",
    "supervisor": "supervisor",
    "analyst": "analyst",
    "administrator": "administrator",
}
#: the role that fetches the pages each web module serves (auto-discovered pages)
AREA_ROLES = {
    "karakoram.entrypoints.web.officer": "officer",
    "karakoram.entrypoints.web.trader": "trader",
    "karakoram.entrypoints.web.supervisor": "supervisor",
    "karakoram.entrypoints.web.analyst": "analyst",
    "karakoram.entrypoints.web.admin": "administrator",
}
#: never timed as pages: the sign-in form is the baseline, the rest are not pages
NOT_PAGES = {"/ui/sign-in", "/ui/vendor/plotly.min.js"}


@dataclass(frozen=True, slots=True)
class Page:
    """One page to time: who fetches it and the path (with `{mrn}` filled in per run)."""

    role: str
    path: str
    label: str


#: pages that need a query string or a declaration; extend freely
PAGES = [
    Page("officer", "/ui", "home (officer)"),
    Page("officer", "/ui/queue", "queue"),
    Page("officer", "/ui/queue?channel=red", "queue, red only"),
    Page(
        "officer",
        "/ui/queue?channel=yellow&office=CNKSG&min_age_minutes=1",
        "queue, yellow at CNKSG waiting ≥ 1 min",
    ),
    Page("officer", "/ui/declarations/{mrn}", "declaration (officer)"),
    Page("trader", "/ui", "home (trader)"),
    Page("trader", "/ui/my-declarations/{mrn}", "declaration (trader)"),
    Page("supervisor", "/ui", "home (supervisor)"),
    Page("supervisor", "/ui/declarations/{mrn}", "declaration (supervisor, with the override)"),
    Page("supervisor", "/ui/rules/1", "rule set version 1"),
    Page("analyst", "/ui", "home (analyst)"),
    Page("administrator", "/ui", "home (administrator)"),
]


@dataclass(frozen=True, slots=True)
class Timing:
    label: str
    role: str
    path: str
    status: int
    samples: list[float]  # seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.samples) * 1000

    @property
    def p99_ms(self) -> float:
        return self.pct(0.99) * 1000


def _policy(node: Any) -> None:
    """The CN-URC example policy, activated as a supervisor would (not timed)."""
    from karakoram.domain.access import Principal, Role
    from karakoram.services.policy import documents as policy
    from karakoram.services.policy.documents import Kind

    ctx = node.ctx
    operator = Principal(0, "bench set-up", Role.SUPERVISOR)
    for kind, name in (
        (Kind.RATES, "rates-cn.csv"),
        (Kind.TARIFF, "tariff-cn-import.toml"),
        (Kind.RULES, "rules-khunjerab.toml"),
    ):
        text = (EXAMPLES / name).read_text(encoding="utf-8")
        doc = policy.submit_document(kind, text, operator, ctx.policy, ctx.uow, ctx.clock)
        policy.activate_document(
            kind, doc.version, operator, ctx.policy, ctx.uow, ctx.clock, "benchmark"
        )


def _documents(party: str, n: int) -> Iterator[Any]:
    from karakoram.domain.declaration.documents import SourceDocument

    codes = common.subheadings(common.read_hs())
    for i, data in enumerate(common.declarations(party, codes, n, items=3, seed=7)):
        yield SourceDocument(f"line {i + 1}", data)


def fill(db: Path, n: int, console: Any) -> None:
    """A node in `db` with the example policy, a user per role and `n` assessed declarations."""
    from karakoram.services.bulk import import_declarations
    from karakoram.services.users import add_user

    seller = common.trader(0)
    node, _ = common.prepare_node(f"sqlite:///{db}", [seller])
    try:
        _policy(node)
        for role, name in STAFF.items():
            add_user(name, role, None, node.ctx, node.hasher)
        principal = common.principal_of(node, seller.name)
        started = time.perf_counter()
        with console.status(f"Filling the node with {n:,} assessed declarations…"):
            results = import_declarations(_documents(seller.party, n), principal, node.ctx)
            outcomes = Counter(r.outcome.value for r in results)
        if outcomes != {"created": n}:
            raise RuntimeError(f"unexpected outcomes {dict(outcomes)}")
        console.print(f"Filled in {time.perf_counter() - started:,.0f} s (not timed below).")
    finally:
        node.close()


def open_node(db: Path, console: Any) -> tuple[Any, dict[str, str], str]:
    """The filled node, a fresh key for each role's user, and a red MRN from the queue."""
    from karakoram.bootstrap import bootstrap
    from karakoram.config import load_settings
    from karakoram.domain.access import Principal, Role
    from karakoram.services import clearance as officer
    from karakoram.services.statistics.refresh import refresh
    from karakoram.services.users import issue_key

    common.migrate(f"sqlite:///{db}")  # a node kept with --db from an older schema
    node = bootstrap(load_settings(database_url=f"sqlite:///{db}"))
    users = STAFF | {"trader": common.trader(0).name}
    keys = {role: issue_key(name, node.ctx, node.hasher).api_key for role, name in users.items()}
    # the statistics pages read the analytical copy: bring it up to date (only what changed)
    copied = refresh(node.ctx)
    console.print(
        f"Analytical copy refreshed: {copied.declarations:,} declarations, "
        f"{copied.items:,} released goods items added."
    )
    with closing(sqlite3.connect(db)) as raw:
        held = raw.execute("SELECT count(*) FROM declarations").fetchone()[0]
    queue = officer.queue(Principal(0, "bench", Role.OFFICER), node.ctx, limit=1_000_000)
    channels = Counter(e.channel for e in queue)
    console.print(
        f"Node: {held:,} declarations; queue: {len(queue):,} "
        f"waiting ({', '.join(f'{c} {k:,}' for c, k in sorted(channels.items()))})."
    )
    red = next((e.mrn for e in queue if e.channel == "red"), queue[0].mrn if queue else None)
    if red is None:
        raise RuntimeError("nothing is queued: the rules routed every declaration green")
    return node, keys, red


def discovered(listed: list[Page]) -> list[Page]:
    """Every other GET page of the web modules without path parameters, as the module's role."""
    known = {(p.role, p.path) for p in listed}
    found = []
    for module, role in AREA_ROLES.items():
        for route in importlib.import_module(module).router.routes:
            path = getattr(route, "path", "")
            if "GET" not in (getattr(route, "methods", None) or set()) or "{" in path:
                continue
            if path in NOT_PAGES or (role, path) in known:
                continue
            found.append(Page(role, path, f"{path} ({role})"))
    return found


CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def _signed_in(app: Any, key: str) -> Any:
    from fastapi.testclient import TestClient

    client = TestClient(app)
    client.__enter__()
    token = CSRF.search(client.get("/ui/sign-in").text)
    assert token is not None
    answer = client.post("/ui/sign-in", data={"csrf": token.group(1), "api_key": key})
    if answer.status_code != 200:
        raise RuntimeError(f"sign-in failed: {answer.status_code}")
    return client


def time_get(get: Callable[[str], Any], path: str, repeat: int, warm: int = 3) -> Timing:
    status = 0
    for _ in range(warm):
        status = get(path).status_code
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        status = get(path).status_code
        samples.append(time.perf_counter() - started)
    return Timing("", "", path, status, samples)


def run(n: int, repeat: int, console: Any, db: Path | None = None) -> list[common.Figure]:
    """Fill a node with `n` declarations (or reuse `db` if it exists) and time every page."""
    with tempfile.TemporaryDirectory(prefix="karakoram-web-") as tmp:
        path = db or Path(tmp) / "node.db"
        if not path.exists():
            fill(path, n, console)
        return _time_pages(path, n, repeat, console)


def _time_pages(db: Path, n: int, repeat: int, console: Any) -> list[common.Figure]:
    from karakoram.entrypoints.http.app import create_app

    node, keys, mrn = open_node(db, console)
    app = create_app(node)
    clients = {role: _signed_in(app, key) for role, key in keys.items()}
    try:
        baseline = time_get(clients["officer"].get, "/ui/sign-in", repeat)
        timings = []
        with console.status("Timing the pages…"):
            for page in PAGES + discovered(PAGES):
                t = time_get(clients[page.role].get, page.path.format(mrn=mrn), repeat)
                timings.append(Timing(page.label, page.role, t.path, t.status, t.samples))
    finally:
        for client in clients.values():
            client.__exit__(None, None, None)
        node.close()
    return figures(timings, baseline, n)


def figures(timings: list[Timing], baseline: Timing, n: int) -> list[common.Figure]:
    base = f"sign-in form: p50 {baseline.p50_ms:.1f}, p99 {baseline.p99_ms:.1f} ms"
    out = []
    for t in timings:
        ok = t.status == 200
        shown = f"p50 {t.p50_ms:.1f}, p99 {t.p99_ms:.1f} ms" + ("" if ok else f" (HTTP {t.status})")
        out.append(
            common.Figure(
                f"web: {t.label}, {n:,} declarations",
                shown,
                base,
                common.ratio(t.p99_ms, baseline.p99_ms),
                f"p99 < {TARGET_MS:.0f} ms",
                ok and t.p99_ms < TARGET_MS,
            )
        )
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="declarations in the node")
    parser.add_argument("--repeat", type=int, default=60, help="timed fetches per page")
    parser.add_argument(
        "--db",
        type=Path,
        help="keep the filled SQLite node here and reuse it on later runs (default: a "
        "temporary one)",
    )
    args = parser.parse_args(argv)
    console = common.console()
    machine, date, revision = common.machine(), common.today(), common.revision()
    console.rule(f"Web pages — {revision}")
    console.print(machine)
    busy = common.busy_warning()
    if busy:
        console.print(f"[yellow]{busy}[/yellow]")
    found = run(args.n, args.repeat, console, args.db)
    console.print(common.rich_table(found, f"Web pages, {date}"))
    print()
    print(common.markdown_table(found, machine, date))
    print()
    print(
        f"Measured on {revision} with `benchmarks/web_pages.py --n {args.n} --repeat "
        f"{args.repeat}`; ratio = p99 / the baseline's p99."
    )


if __name__ == "__main__":
    main()
