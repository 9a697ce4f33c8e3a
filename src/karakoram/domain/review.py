"""What a trader may ask of customs beside a declaration's workflow: a review of a decision
(a hold, a request for documents, an inspection), which an officer answers; and the reference
of a bank guarantee lodged to cover what is owed, which an officer then checks and records.

Both are events on the declaration's timeline that leave its state alone, so they land in the
audit chain like every other event.
"""

from __future__ import annotations

from datetime import datetime

from karakoram.domain.clearance import AWAITING_OFFICER, DeclarationEvent
from karakoram.domain.errors import FieldError, InvalidTransition, ValidationFailed

ASK_REVIEW = "ask_review"
ANSWER_REVIEW = "answer_review"
OFFER_GUARANTEE = "offer_guarantee"
MAX_TEXT = 2000
MAX_REFERENCE = 35


def _text(value: str, pointer: str, missing: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationFailed([FieldError("required", pointer, missing)])
    if len(text) > MAX_TEXT:
        raise ValidationFailed(
            [FieldError("too_long", pointer, f"Write at most {MAX_TEXT} characters.")]
        )
    return text


def review_event(status: str, question: str, actor: str, at: datetime) -> DeclarationEvent:
    """The event of a trader asking for a review, while an officer's decision is pending."""
    if status not in AWAITING_OFFICER:
        raise InvalidTransition("ask for a review of", status.replace("_", " "))
    text = _text(question, "/question", "Say what you want reviewed and why.")
    return DeclarationEvent(ASK_REVIEW, status, status, actor, at, text)


def answer_event(status: str, answer: str, actor: str, at: datetime) -> DeclarationEvent:
    """The event of an officer answering a review request."""
    text = _text(answer, "/answer", "Write the answer the trader will read.")
    return DeclarationEvent(ANSWER_REVIEW, status, status, actor, at, text)


def guarantee_event(status: str, reference: str, actor: str, at: datetime) -> DeclarationEvent:
    """The event of a trader recording a bank guarantee's reference for an officer to check."""
    if status not in AWAITING_OFFICER:
        raise InvalidTransition("record a guarantee for", status.replace("_", " "))
    clean = (reference or "").strip()
    if not clean:
        raise ValidationFailed(
            [FieldError("required", "/reference", "Enter the bank guarantee's reference.")]
        )
    if len(clean) > MAX_REFERENCE or any(c.isspace() for c in clean):
        raise ValidationFailed(
            [
                FieldError(
                    "invalid_format",
                    "/reference",
                    f"A reference has no spaces and at most {MAX_REFERENCE} characters.",
                )
            ]
        )
    return DeclarationEvent(OFFER_GUARANTEE, status, status, actor, at, clean)
