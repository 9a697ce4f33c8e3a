"""What the supervisor's rule-set forms submit, kept as typed so a refused form shows it again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Form

from karakoram.domain.errors import FieldError, ValidationFailed

#: the pointers of the period's fields; any other error belongs beside the rule-set text
PERIOD_FIELDS = ("/lodged_from", "/lodged_to")


@dataclass(frozen=True, slots=True)
class Period:
    """A back-test's first and last day of lodgement, as typed (YYYY-MM-DD, or empty)."""

    lodged_from: str = ""
    lodged_to: str = ""

    def days(self) -> tuple[date | None, date | None]:
        """Both days parsed; ValidationFailed names each field that is not a date."""
        errors: list[FieldError] = []
        parsed = []
        for pointer, value in zip(PERIOD_FIELDS, (self.lodged_from, self.lodged_to), strict=True):
            try:
                parsed.append(date.fromisoformat(value.strip()) if value.strip() else None)
            except ValueError:
                errors.append(FieldError("invalid_date", pointer, f"{value!r} is not a date."))
                parsed.append(None)
        if errors:
            raise ValidationFailed(errors)
        return parsed[0], parsed[1]


@dataclass(frozen=True, slots=True)
class RuleSetForm:
    """The editor: the rule-set text, what to do with it, and a back-test period."""

    text: str
    intent: str
    period: Period


def rule_set_form(
    text: Annotated[str, Form()] = "",
    intent: Annotated[str, Form()] = "check",
    lodged_from: Annotated[str, Form()] = "",
    lodged_to: Annotated[str, Form()] = "",
) -> RuleSetForm:
    return RuleSetForm(text.replace("\r\n", "\n"), intent, Period(lodged_from, lodged_to))


@dataclass(frozen=True, slots=True)
class ActivationForm:
    """Activate or roll back: the active version the page showed, and why."""

    active: str
    reason: str

    def seen_active(self) -> int | None:
        active = self.active.strip()
        return int(active) if active.isascii() and active.isdigit() else None


def activation_form(
    active: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
) -> ActivationForm:
    return ActivationForm(active, reason.strip())
