"""The customs nodes' CAs for their traders' keys, as the expo trusts them (issue 19): the
organiser adds a node's CA certificate (`karakoram expo trader-ca add`, as it adds the node's
attestation key); anyone may bring a fresher revocation list, which is kept only when that CA
signed it and it is newer than the one held."""

from __future__ import annotations

from karakoram.domain.errors import FieldError, NotFound, ValidationFailed
from karakoram.expo.services.context import ExpoContext
from karakoram.expo.services.contract_records import TraderCaRecord
from karakoram.expo.services.ports import ContractCrypto


def _crypto(ctx: ExpoContext) -> ContractCrypto:
    if ctx.contracts is None:
        raise NotFound("This expo does not sign contracts.")
    return ctx.contracts


def add_trader_ca(administration: str, pem: str, ctx: ExpoContext) -> TraderCaRecord:
    """Trust `pem` as the CA of the traders of `administration` (a partner already)."""
    crypto = _crypto(ctx)
    try:
        crypto.ca_subject(pem)
    except ValueError as exc:
        raise ValidationFailed([FieldError("not_a_ca", "/certificate", str(exc))]) from exc
    with ctx.uow() as uow:
        if administration not in {p.administration for p in uow.partners()}:
            raise NotFound(f"{administration!r} is no customs node of this expo: add it first.")
        record = TraderCaRecord(administration, pem, None, None)
        uow.save_trader_ca(record)
        uow.commit()
    return record


def update_revocations(administration: str, crl_pem: str, ctx: ExpoContext) -> TraderCaRecord:
    """Keep `crl_pem` as the node's revocation list when its CA signed it and it is newer."""
    crypto = _crypto(ctx)
    with ctx.uow() as uow:
        held = {r.administration: r for r in uow.trader_cas()}.get(administration)
        if held is None:
            raise NotFound(f"The expo trusts no trader CA of {administration!r}.")
        try:
            issued = crypto.crl_issued_at(crl_pem, held.cert_pem)
        except ValueError as exc:
            raise ValidationFailed([FieldError("not_this_ca", "/crl", str(exc))]) from exc
        if held.crl_issued_at is not None and issued <= held.crl_issued_at:
            return held
        record = TraderCaRecord(administration, held.cert_pem, crl_pem, issued)
        uow.save_trader_ca(record)
        uow.commit()
    return record
