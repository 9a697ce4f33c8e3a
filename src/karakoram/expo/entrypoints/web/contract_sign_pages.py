"""Signing a contract in the browser (issue 19): what the contract page's script
(static/contract-sign.js) asks of the expo, with the page's session and its CSRF token.

The script holds the party's Ed25519 key (WebCrypto, non-extractable, in this origin's
IndexedDB) and its certificate from the party's node. It asks here for the version's payload
(the RFC 8785 canonical bytes, base64url: what every party signs), builds the protected
header with its certificate, signs `protected.payload` and posts the JWS member; the expo
checks it as it checks `POST /contracts/{id}/versions/{v}/signatures` (the same service) and
answers JSON, refusals as problem+json (the script asks with `Accept: application/json`).
The private key never reaches the expo. Once both parties signed, the page offers the signed
file for download, the one `karakoram contract verify` checks offline."""

from __future__ import annotations

import base64
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Response
from fastapi.responses import JSONResponse

from karakoram.expo.domain.contract import canonical
from karakoram.expo.entrypoints.deps import CtxDep
from karakoram.expo.entrypoints.web.pages import SessionDep, ViewerDep, checked
from karakoram.expo.services import contract_signatures, contracts

router = APIRouter(prefix="/ui", include_in_schema=False)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@router.get("/contracts/{contract_id}/versions/{version}/signing-payload")
def signing_payload(contract_id: int, version: int, ctx: CtxDep, who: ViewerDep) -> dict[str, Any]:
    """The JWS payload of a version (base64url of its canonical bytes) and its digest."""
    v = contracts.version_of(contract_id, version, who, ctx)
    return {
        "contract": contract_id, "version": v.version, "sha256": v.digest,
        "payload": _b64url(canonical(v.document)),
    }  # fmt: skip


@router.post("/contracts/{contract_id}/versions/{version}/signatures")
def sign(
    contract_id: int, version: int, member: Annotated[dict[str, Any], Body()], ctx: CtxDep,
    who: ViewerDep, session: SessionDep,
    x_csrf_token: Annotated[str, Header()] = "",
) -> JSONResponse:  # fmt: skip
    """The signed-in party's signature member on the latest version (201; 200 the same
    again); refused as the API refuses it, with the reason's code."""
    checked(session, x_csrf_token)
    done = contract_signatures.sign_contract(contract_id, version, who, member, ctx)
    body = {
        "contract": contract_id, "version": version,
        "received_at": done.signature.received_at.isoformat(), "complete": done.complete,
    }  # fmt: skip
    return JSONResponse(body, status_code=201 if done.created else 200)


@router.get("/contracts/{contract_id}/signed.json", name="expo-contract-signed")
def signed_file(contract_id: int, ctx: CtxDep, who: ViewerDep) -> Response:
    """The signed contract (general JWS JSON serialisation) as a file to keep and verify."""
    found = contract_signatures.signed_file(contract_id, who, ctx)
    return Response(
        json.dumps(found, indent=1),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="contract-{contract_id}.json"'},
    )
