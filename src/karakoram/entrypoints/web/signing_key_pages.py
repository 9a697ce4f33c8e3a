"""The trader's "Signing key" page (issue 19): certify a contract-signing key made in a browser,
list its certificates, revoke one (a lost browser key).

The key itself is made where the contract is signed: the expo's contract page generates an
Ed25519 key pair with WebCrypto in the trader's browser (the private key non-extractable, kept
in that origin's IndexedDB) and shows a certificate signing request it signed with it. The
trader pastes that request here; this node certifies it through the same service as
`POST /trader-keys` and `karakoram keys new-trader` and shows the certificate to paste back at
the expo. The node never sees a private key, and no script runs on this page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import Response

from karakoram.domain.access import Capability as Cap
from karakoram.domain.access import Principal
from karakoram.domain.errors import PermissionDenied, ValidationFailed
from karakoram.entrypoints.http.deps import NodeDep
from karakoram.entrypoints.web.deps import CsrfDep, PagesDep, SessionDep, ViewerDep
from karakoram.entrypoints.web.guard import needs
from karakoram.entrypoints.web.i18n import N_
from karakoram.entrypoints.web.refusals import pages_router
from karakoram.services import trader_keys
from karakoram.services.trader_keys import DEFAULT_DAYS, MAX_DAYS

router = pages_router("/ui")
_GUARD = [needs(Cap.CERTIFY_KEYS)]

#: why a request was refused, by the service's code, in words the page translates
REASONS = {
    "not_a_csr": N_(
        "This is not a certificate signing request: paste all of it, from BEGIN to END."
    ),
    "unsupported_key": N_("The key must be an Ed25519 key."),
    "no_proof_of_possession": N_("The request is not signed by the key it carries."),
    "another_trader": N_("The request names another trader: sign in as that trader at their node."),
    "out_of_range": N_("The validity must be between 1 and 90 days."),
}


def _page(
    request: Request, pages: PagesDep, session: SessionDep, viewer: Principal, node: NodeDep,
    status_code: int = 200, **shown: object,
) -> Response:  # fmt: skip
    context: dict[str, object] = {"certified": None, "error": None, "csr": "", "days": DEFAULT_DAYS}
    context |= shown
    return pages.render(
        request, session, "trader/signing_key.html", viewer, status_code=status_code,
        certificates=trader_keys.certificates_of(viewer, node.ctx), max_days=MAX_DAYS,
        now=node.ctx.clock(), **context,
    )  # fmt: skip


@router.get("/signing-key", dependencies=_GUARD, name="ui-signing-key")
def signing_key_page(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep, node: NodeDep
) -> Response:
    return _page(request, pages, session, viewer, node)


@router.post("/signing-key", dependencies=[*_GUARD, CsrfDep], name="ui-signing-key-certify")
def certify(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep, node: NodeDep,
    csr: Annotated[str, Form(max_length=20_000)] = "",
    days: Annotated[int, Form()] = DEFAULT_DAYS,
    replace: Annotated[str, Form()] = "",
) -> Response:  # fmt: skip
    """Certify the key of the pasted request; with `replace`, revoke the earlier ones."""
    try:
        done = trader_keys.certify_key(csr, viewer, node.ctx, days=days, replace=bool(replace))
    except (ValidationFailed, PermissionDenied) as exc:
        code = exc.errors[0].code if isinstance(exc, ValidationFailed) else exc.code
        status = 422 if isinstance(exc, ValidationFailed) else 403
        error = REASONS.get(code or "", exc.detail)
        return _page(request, pages, session, viewer, node, status, error=error, csr=csr, days=days)
    return _page(
        request, pages, session, viewer, node, 201 if done.created else 200,
        certified=done.certificate, revoked=done.revoked,
    )  # fmt: skip


@router.post("/signing-key/revoke", dependencies=[*_GUARD, CsrfDep], name="ui-signing-key-revoke")
def revoke(
    request: Request, pages: PagesDep, session: SessionDep, viewer: ViewerDep, node: NodeDep,
    serial: Annotated[str, Form(max_length=40)] = "",
) -> Response:  # fmt: skip
    """Revoke one of the trader's certificates: the CA's revocation list names it from now."""
    gone = trader_keys.revoke_certificate(trader_keys.serial_of(serial), viewer, node.ctx)
    return _page(request, pages, session, viewer, node, revoked=(gone.serial,))
