"""The signed contract file of a version (issue 19): the general JWS JSON serialisation of its
canonical bytes with both parties' signature members, the seller's first, each with the expo's
receipt in its unprotected header. What `GET /contracts/{id}/signed` answers and what
`contract_registered` carries to the customs nodes."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from karakoram.expo.domain.contract import canonical
from karakoram.expo.domain.contract_signing import RECEIVED
from karakoram.expo.services.contract_records import ContractSignature, ContractVersion


def jws_file(latest: ContractVersion, held: Sequence[ContractSignature]) -> dict[str, Any]:
    seller = int(latest.terms["seller"])
    ordered = sorted(held, key=lambda s: s.participant_id != seller)  # the seller's first
    members = [{**s.member, "header": {RECEIVED: s.receipt}} for s in ordered]
    payload = base64.urlsafe_b64encode(canonical(latest.document)).rstrip(b"=").decode()
    return {"payload": payload, "signatures": members}
