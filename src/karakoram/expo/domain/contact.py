"""A participant's e-mail address, where its meeting invitations go."""

from __future__ import annotations

import re

from karakoram.domain.errors import FieldError, ValidationFailed

#: one @, no spaces, a dot in the domain: what can be checked without sending a mail
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")


def checked_email(value: str | None) -> str | None:
    """The address given with an availability (None: no e-mail); `ValidationFailed` when it
    cannot be one."""
    if value is None or not value.strip():
        return None
    email = value.strip()
    if len(email) > 254 or not _EMAIL.match(email):
        raise ValidationFailed(
            [FieldError("invalid_email", "/email", "An e-mail address, e.g. sales@example.com.")]
        )
    return email
