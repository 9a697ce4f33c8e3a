"""`karakoram attest TRADER`: a signed attestation of one of this node's traders, for the expo."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from karakoram.domain.errors import KarakoramError
from karakoram.entrypoints.cli.support import AsOpt, console, fail, node, principal_of
from karakoram.services.attestation import DEFAULT_DAYS, issue_attestation


def attest(
    trader: Annotated[str, typer.Argument(help="The trader's identifier at this node.")],
    days: Annotated[int, typer.Option(help="Days the attestation is valid.")] = DEFAULT_DAYS,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print token and claims as JSON.")
    ] = False,
    as_user: AsOpt = None,
) -> None:
    """Print a JWS by which this node vouches for TRADER (id, name, country, AEO status from
    the register, expiry), signed with the node's exchange key; the trader gives it to the
    expo."""
    n = node()
    try:
        issued = issue_attestation(trader, principal_of(n, as_user), n.ctx, days)
    except KarakoramError as exc:
        raise fail(exc) from exc
    finally:
        n.close()
    if not as_json:
        print(issued.token)
        return
    a = issued.attestation
    claims: dict[str, object] = {"issuer": a.issuer, "trader_id": a.trader_id, "name": a.name}
    claims |= {"country": a.country, "aeo": a.aeo, "aeo_level": a.aeo_level}
    claims |= {"expires_at": a.expires_at.isoformat(), "token": issued.token}
    console.print_json(json.dumps(claims))
