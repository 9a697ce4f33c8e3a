"""Exchange speed: signing and verification beside raw Ed25519, and messages delivered,
applied and receipted between two nodes in one process.

    .venv/bin/python benchmarks/exchange.py [--n 2000]

Baselines measured in the same run: the `cryptography` library's raw Ed25519 sign and verify
of the same bytes (what JWS, canonical JSON and our checks add is the ratio), and for delivery
the raw signing rate.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import common
import rfc8785

from karakoram.adapters.signing import (
    Signer,
    TrustedKey,
    new_key,
    public_jwk,
    verify,
)

ENVELOPE = {
    "id": "0192f000-0000-7000-8000-000000000001",
    "type": "exit_confirmation",
    "schema_version": 1,
    "sender": "CN-URC",
    "recipient": "PK-GB",
    "created_at": "2026-11-28T06:00:00+00:00",
    "references": {"ucr": "U-1"},
    "body": {"exited_at": "2026-11-28T06:00:00+00:00", "crossing": "KHUNJERAB"},
}


def rate(work, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        work()
    return n / (time.perf_counter() - start)


def signing(n: int) -> list[common.Figure]:
    key = new_key("CN-URC-1")
    raw_private = key.private_key
    raw_public = raw_private.public_key()
    payload = rfc8785.dumps(ENVELOPE)
    signature = raw_private.sign(payload)
    raw_sign = rate(lambda: raw_private.sign(payload), n)
    raw_verify = rate(lambda: raw_public.verify(signature, payload), n)
    signer = Signer(key, "CN-URC-1")
    token = signer.sign(ENVELOPE)
    trusted = [TrustedKey("CN-URC-1", public_jwk(key), datetime(2020, 1, 1, tzinfo=UTC), None)]
    now = datetime.now(UTC)
    our_sign = rate(lambda: signer.sign(ENVELOPE), n)
    our_verify = rate(lambda: verify(token, trusted, "CN-URC", now), n)
    return [
        common.Figure(
            "sign a message (canonical JSON + JWS, Ed25519)",
            f"{our_sign:,.0f}/s",
            f"{raw_sign:,.0f}/s (raw Ed25519 sign)",
            common.ratio(our_sign, raw_sign),
            "—",
            None,
        ),
        common.Figure(
            "verify a message (parse JWS, key lookup, Ed25519)",
            f"{our_verify:,.0f}/s",
            f"{raw_verify:,.0f}/s (raw Ed25519 verify)",
            common.ratio(our_verify, raw_verify),
            "—",
            None,
        ),
    ]


def delivery(n: int) -> common.Figure:
    """n pre-arrival messages relayed between two in-process nodes (SQLite each)."""
    sys.path.insert(0, str(common.ROOT))
    from fastapi.testclient import TestClient
    from tests.builders import TRADER, declaration
    from tests.integration.test_exchange import (
        AppTransport,
        activate_green_policy,
        make_node,
        register,
    )

    from karakoram.adapters.peer import HttpPeer
    from karakoram.domain.access import Principal, Role
    from karakoram.entrypoints.api.app import create_app
    from karakoram.services import exchange, handlers

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cn, cn_key = make_node(root, "CN-URC")
        pk, pk_key = make_node(root, "PK-GB")
        register(cn, "PK-GB", "PK", pk_key, "http://pk-gb")
        register(pk, "CN-URC", "CN", cn_key, "http://cn-urc")
        activate_green_policy(cn)
        trader = Principal(1, "t", Role.TRADER, TRADER)
        for k in range(n):
            handlers.lodge_declaration(declaration(f"X-{k}"), trader, cn.ctx)
        with TestClient(create_app(cn)) as cn_app, TestClient(create_app(pk)) as pk_app:
            peer = HttpPeer(AppTransport({"cn-urc": cn_app, "pk-gb": pk_app}))
            start = time.perf_counter()
            delivered = 0
            while delivered < n:
                later = datetime.now(UTC) + timedelta(seconds=1)
                stats = exchange.relay_once(
                    cn.ctx.exchange, peer, cn.ctx.uow, lambda later=later: later, limit=500
                )
                delivered += stats.delivered
            seconds = time.perf_counter() - start
    per_second = n / seconds
    return common.Figure(
        f"messages delivered, applied and receipted, two nodes in one process ({n:,})",
        f"{per_second:,.0f}/s",
        "—",
        "—",
        ">= 1,000/s (two processes on loopback)",
        per_second >= 1000,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    args = parser.parse_args()
    console = common.console()
    figures = [*signing(5 * args.n), delivery(args.n)]
    console.print(common.rich_table(figures, "Exchange"))
    print(common.markdown_table(figures, common.machine(), common.today()))


if __name__ == "__main__":
    main()
