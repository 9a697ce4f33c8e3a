"""`karakoram verify-release QR_TEXT --key PUBKEY`: check a release note's QR code offline,
with the issuing node's public key (a JWK file) and nothing else: no database, no network."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from karakoram.bootstrap_parts import token_verifier
from karakoram.domain.declaration.release_note import instant
from karakoram.domain.errors import KarakoramError
from karakoram.domain.exchange.keys import NotAPublicKey, public_jwk
from karakoram.entrypoints.cli.support import fail
from karakoram.services.release_note import verify_token


def verify_release(
    qr_text: Annotated[str, typer.Argument(help="The QR code's text (the token or a link).")],
    key: Annotated[
        Path, typer.Option(exists=True, dir_okay=False, help="The node's public key (JWK).")
    ],
    issuer: Annotated[
        str | None, typer.Option(help="Refuse a code issued by another administration.")
    ] = None,
) -> None:
    """Check that a release note's QR code was signed by the node whose public key is KEY, and
    print what it states (MRN, release time, the statement's hash). Exit 1 when it was not."""
    try:
        data = json.loads(key.read_text())
    except ValueError as exc:
        raise fail(NotAPublicKey(f"{key} is not a JSON key file: {exc}")) from exc
    try:
        claims = verify_token(qr_text, token_verifier(), public_jwk(data), issuer)
    except KarakoramError as exc:
        raise fail(exc) from exc
    print(f"verified: released by {claims.issuer}")
    print(f"mrn:         {claims.mrn}")
    print(f"released at: {instant(claims.released_at)}")
    print(f"statement:   sha256 {claims.sha256}")
