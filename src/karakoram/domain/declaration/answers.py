"""A trader's answer to an officer's request for documents.

An officer's request moves a declaration to `documents_requested` (see `clearance.py`). While
it waits there, the trader who lodged it answers: which documents it supplies and where the
officer finds them. The answer is an event on the timeline that leaves the state alone: the
officer checks the documents next. Answering in any other state is an `InvalidTransition`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from karakoram.domain.clearance import Action, DeclarationEvent, Status
from karakoram.domain.errors import FieldError, InvalidTransition, ValidationFailed

#: the action name of the answer on the timeline
ANSWER_DOCUMENTS = "answer_documents"
MAX_ANSWER = 2000


def answer_event(status: str, answer: str, actor: str, at: datetime) -> DeclarationEvent:
    """The event recording `answer`, or why it may not be given now."""
    if status != Status.DOCUMENTS_REQUESTED.value:
        raise InvalidTransition("answer a request for documents of", status.replace("_", " "))
    text = answer.strip()
    if not text:
        raise ValidationFailed(
            [FieldError("required", "/answer", "Say which documents you supply and where.")]
        )
    if len(text) > MAX_ANSWER:
        raise ValidationFailed(
            [
                FieldError(
                    "invalid_format",
                    "/answer",
                    f"An answer has at most {MAX_ANSWER} characters.",
                )
            ]
        )
    return DeclarationEvent(ANSWER_DOCUMENTS, status, status, actor, at, text)


def open_request(events: Sequence[DeclarationEvent]) -> DeclarationEvent | None:
    """The latest request for documents, while the declaration still waits on it."""
    if not events or events[-1].to_state != Status.DOCUMENTS_REQUESTED.value:
        return None
    for event in reversed(events):
        if event.action == Action.REQUEST_DOCUMENTS.value:
            return event
    return None


def answers_to(request: DeclarationEvent, events: Sequence[DeclarationEvent]) -> list[str]:
    """What the trader answered since `request`, oldest first."""
    after = False
    answers = []
    for event in events:
        if event is request:
            after = True
        elif after and event.action == ANSWER_DOCUMENTS and event.reason:
            answers.append(event.reason)
    return answers
