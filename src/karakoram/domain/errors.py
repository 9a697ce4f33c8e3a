"""Errors the domain and the services raise on purpose; the HTTP layer maps them to problem+json
in one place (`karakoram.entrypoints.http.errors`), the CLI prints their detail.

Every error carries a `title` (the kind of problem), a `detail` (one sentence for a person,
naming the thing concerned) and, where there is more, the context as attributes (in brackets
below). An error defined outside this module lives beside the use case that raises it.

KarakoramError                      [detail]
├── ValidationFailed                every problem with a submitted document, at once (422)
│   │                               [errors: list[FieldError], each a code, pointer, message]
│   ├── AttachmentTooLarge          an attached document over the limit (413)
│   │                               (domain/declaration/attachments.py)
│   ├── SlotClosed                  no slot there: a closed day, no slot at that time, past
│   │                               [next_free] (services/slots.py)
│   └── KeyRequestRefused           a trader's CSR that proves nothing: not a CSR, not
│                                   Ed25519, no proof of possession (services/trader_keys.py)
├── NotFound                        no such thing, or not visible to the caller (404)
├── Conflict                        the request contradicts what is stored (409)
│   ├── LrnConflict                 same trader and LRN, different content [lrn, mrn]
│   ├── InvalidTransition           the action is not allowed in the current state
│   │                               [action, current]
│   ├── StaleVersion                the declaration changed since the caller read it
│   │                               [expected, actual]
│   ├── ReleaseRefused              release while something blocks it [blockers]
│   │                               (services/clearance.py)
│   ├── PartnerInspectionRefused    the partner's inspection cannot stand in for ours
│   │                               [code] (domain/partner_controls.py)
│   ├── NoPartnerForJoint           no partner to inspect a consignment with [code]
│   │                               (services/joint_inspections.py)
│   ├── StalePage                   the active rule set changed since the page was drawn
│   │                               [seen, active] (services/policy/rule_sets.py)
│   ├── ClockMovedBack              a simulated clock asked to go back [reads, requested]
│   │                               (services/clock.py)
│   ├── NoListTaker                 no partner takes AEO lists [code] (services/aeo.py)
│   ├── BrokenChain                 a fallback file that is not one whole chain [code,
│   │                               line] (domain/gate/fallback.py)
│   ├── ReferenceConflict           a carrier's reference, different content [code]
│   │                               (services/gate/cargo_reports.py)
│   ├── SlotFull                    the crossing's slot has no room [code, next_free]
│   │                               (services/slots.py)
│   ├── AlreadyBooked               the truck holds another slot [code] (services/slots.py)
│   ├── TruckHeld                   a truck's exit while something holds it [code, blockers]
│   │                               (services/gate/release.py)
│   ├── AlreadySettled              a discrepancy settled otherwise before [code]
│   ├── NothingCovers               `add` with no declaration for the UCR [code]
│   │                               (both services/gate/resolve.py)
│   ├── RefReused                   an expo listing's ref names other content [code]
│   │                               (expo/services/catalogue.py)
│   ├── NotReleased                 a release note asked before release
│   │                               (domain/declaration/release_note.py)
│   ├── AlreadyAnswered             a review request an officer answered before
│   │                               (services/reviews.py)
│   └── NotSharedWithPartner        a document for a partner whose agreement lacks
│                                   document_shared [code] (services/partner_documents.py)
├── PermissionDenied                authenticated, but the role may not do this (403)
│   ├── NotRepresented              the caller may not act for the party it names
│   │                               [code, party] (domain/representation.py)
│   ├── AttestationRefused          a trader's attestation proves nothing to the expo
│   │                               [code] (domain/attestation.py)
│   └── ReleaseNoteRefused          a release note's QR code that proves nothing
│                                   [code] (domain/declaration/release_note.py)
├── AuthenticationFailed            no key, or a key that is unknown or revoked (401)
│   └── TooManyAttempts             failed attempts slowed or locked [retry_after]
│                                   (services/throttle.py)
├── CalendarError                   a crossing's calendar file that cannot be used
│                                   (domain/gate/slots.py)
├── MalformedBody                   a partner's message body lacks or mistypes fields
│                                   [fields] (domain/exchange/bodies.py)
├── UnknownMessageType              a message type the exchange does not define (400)
│                                   (domain/exchange/bodies.py)
├── NotAPublicKey                   a partner key that is not an Ed25519 public JWK (400)
│                                   (domain/exchange/keys.py)
├── NotAPartnerUrl                  a partner URL in plain http off loopback (400)
│                                   (domain/exchange/keys.py)
└── Refused                         a partner's message is not accepted; nothing applied
                                    [code] (domain/exchange/envelope.py; 400/413/422 by
                                    code, else 403)

Outside the tree, never shown to a user: the store's `DuplicateLrn` and `DuplicateMessage`
(services/records.py) tell a service that a concurrent request won a race, and
`DeliveryFailed` (services/exchange/config.py) tells the relay to try a partner again later.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: a stable code, a message a trader understands, a pointer."""

    code: str
    pointer: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "pointer": self.pointer, "message": self.message}


class KarakoramError(Exception):
    """Base of every error the node raises on purpose."""

    title = "Error"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ValidationFailed(KarakoramError):
    title = "The document is not valid"

    def __init__(self, errors: list[FieldError], detail: str | None = None) -> None:
        super().__init__(detail or f"{len(errors)} problem(s) found; nothing was stored.")
        self.errors = errors


class NotFound(KarakoramError):
    title = "Not found"


class Conflict(KarakoramError):
    title = "Conflict"


class LrnConflict(Conflict):
    title = "LRN already used for a different declaration"

    def __init__(self, lrn: str, mrn: str) -> None:
        super().__init__(
            f"LRN {lrn!r} was already lodged as {mrn} with different content. "
            "Use a new LRN, or amend the existing declaration."
        )
        self.lrn = lrn
        self.mrn = mrn


class InvalidTransition(Conflict):
    title = "Action not allowed in the current state"

    def __init__(self, action: str, current: str, what: str = "a declaration") -> None:
        super().__init__(f"Cannot {action} {what} that is {current}.")
        self.action = action
        self.current = current


class StaleVersion(Conflict):
    title = "The declaration changed meanwhile"

    def __init__(self, mrn: str, expected: int, actual: int) -> None:
        super().__init__(
            f"Declaration {mrn} is at version {actual}, not {expected}; reload it and try again."
        )
        # not `mrn`: the problem+json mapper publishes that attribute, and this error's body
        # has never carried it
        self.expected = expected
        self.actual = actual


class PermissionDenied(KarakoramError):
    title = "Not allowed for this role"

    def __init__(self, detail: str, code: str = "not_allowed") -> None:
        super().__init__(detail)
        #: stable, for clients: `missing_capability` when the role lacks a capability
        self.code = code


class AuthenticationFailed(KarakoramError):
    title = "Authentication required"
