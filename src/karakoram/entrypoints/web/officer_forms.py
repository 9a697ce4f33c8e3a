"""What the officer's action form submits, turned into the arguments of `officer.act`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Form

from karakoram.domain.clearance import Action
from karakoram.domain.errors import FieldError, ValidationFailed


@dataclass(frozen=True, slots=True)
class ActionForm:
    """One submitted action form, kept so that a refused form shows what was typed."""

    action: str
    reason: str
    version: int | None
    notes: str
    seals: str
    hs_code_found: str
    value_found: str
    quantity_matches: bool
    prohibited_goods: bool
    documents_complete: bool

    def chosen(self) -> Action:
        try:
            return Action(self.action)
        except ValueError as exc:
            raise ValidationFailed(
                [FieldError("invalid_format", "/action", f"{self.action!r} is not an action.")]
            ) from exc

    def findings(self) -> dict[str, Any] | None:
        """The findings of a documents check or an inspection; None for other actions."""
        if self.action == Action.CHECK_DOCUMENTS.value:
            return {"documents_complete": self.documents_complete, "notes": self.notes}
        if self.action != Action.INSPECT.value:
            return None
        found: dict[str, Any] = {
            "quantity_matches": self.quantity_matches,
            "prohibited_goods": self.prohibited_goods,
            "seals": self.seals or "none",
            "notes": self.notes,
        }
        if self.hs_code_found.strip():
            found["hs_code_found"] = self.hs_code_found.strip()
        if self.value_found.strip():
            found["value_found"] = self.value_found.strip()
        return found


def action_form(
    action: Annotated[str, Form()],
    reason: Annotated[str, Form()] = "",
    version: Annotated[int | None, Form()] = None,
    notes: Annotated[str, Form()] = "",
    seals: Annotated[str, Form()] = "none",
    hs_code_found: Annotated[str, Form()] = "",
    value_found: Annotated[str, Form()] = "",
    quantity_matches: Annotated[bool, Form()] = False,
    prohibited_goods: Annotated[bool, Form()] = False,
    documents_complete: Annotated[bool, Form()] = False,
) -> ActionForm:
    return ActionForm(
        action,
        reason,
        version,
        notes,
        seals,
        hs_code_found,
        value_found,
        quantity_matches,
        prohibited_goods,
        documents_complete,
    )


@dataclass(frozen=True, slots=True)
class OverrideForm:
    """A supervisor's channel override, kept so that a refused one shows what was typed."""

    channel: str
    reason: str


def override_form(
    channel: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
) -> OverrideForm:
    return OverrideForm(channel, reason)
