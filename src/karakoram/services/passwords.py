"""Password rules after NIST SP 800-63B (5.1.1.2): a minimum length and no composition rules,
but no password that contains the user's name, is all one character, or is on a list of
common passwords (shipped with the package, `karakoram/data/common_passwords.csv`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from karakoram.domain.errors import FieldError

#: shortest password an administrator may set; long passphrases are welcome
PASSWORD_MIN_LENGTH = 12
#: longest: argon2 hashes whatever it is given, so the length is bounded
PASSWORD_MAX_LENGTH = 256


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, case-folded."""
    text = resources.files("karakoram.data").joinpath("common_passwords.csv").read_text()
    return frozenset(line.strip().casefold() for line in text.splitlines()[1:] if line.strip())


def _problem(code: str, message: str) -> FieldError:
    return FieldError(code, "/password", message)


def password_problems(name: str, password: str) -> list[FieldError]:
    """What is wrong with `password` for the user `name` (empty when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            _problem("too_short", f"A password needs at least {PASSWORD_MIN_LENGTH} characters.")
        )
    elif len(password) > PASSWORD_MAX_LENGTH:
        problems.append(
            _problem("too_long", f"A password may have at most {PASSWORD_MAX_LENGTH} characters.")
        )
    if name.strip() and name.strip().casefold() in password.casefold():
        problems.append(_problem("contains_name", "A password must not contain the user name."))
    if password and len(set(password)) == 1:
        problems.append(_problem("one_character", "A password must not repeat one character."))
    folded = password.strip().casefold()
    if folded in common_passwords() or "".join(folded.split()) in common_passwords():
        problems.append(
            _problem("common", "That password is on the list of common passwords; choose another.")
        )
    return problems
