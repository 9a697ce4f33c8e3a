"""The exit codes of the `karakoram` command, and the one place that turns an error into a
message on stderr and one of them: no user error ends in a traceback (`--debug` shows it).
The README's "Exit codes" table lists the same (a unit test compares them).

| code | meaning |
|---|---|
| 0 | done |
| 1 | refused: the node refused what was asked (invalid input, a state that forbids it) |
| 2 | usage: wrong options or arguments, an unknown user in --as |
| 3 | configuration: no database configured, a file missing, bad TOML, an unknown or invalid |
|   | setting, missing or weak secrets |
| 4 | database unreachable |
| 5 | database schema out of date: run `karakoram db upgrade` |
| 70 | internal error (a bug): run again with --debug and report the traceback |
"""

from __future__ import annotations

from enum import IntEnum
from pathlib import Path

from pydantic import ValidationError

from karakoram.bootstrap import DatabaseUnreachable, SchemaOutOfDate
from karakoram.config import ConfigError, WeakSecrets
from karakoram.domain.errors import KarakoramError


class ExitCode(IntEnum):
    OK = 0
    REFUSED = 1
    USAGE = 2
    CONFIGURATION = 3
    DATABASE_UNREACHABLE = 4
    SCHEMA_OUT_OF_DATE = 5
    INTERNAL = 70


def explain(exc: Exception, config: Path | None) -> tuple[ExitCode, str]:
    """The exit code and the message (without markup) for an error that ended a command."""
    match exc:
        case ConfigError() | WeakSecrets():
            return ExitCode.CONFIGURATION, str(exc)
        case ValidationError() if exc.title.endswith("Settings"):  # the node's, the expo's
            return ExitCode.CONFIGURATION, settings_problems(exc, config)
        case DatabaseUnreachable():
            return ExitCode.DATABASE_UNREACHABLE, f"{exc}. Check database_url and the server."
        case SchemaOutOfDate():
            return ExitCode.SCHEMA_OUT_OF_DATE, str(exc)
        case KarakoramError():
            return ExitCode.REFUSED, f"{exc.title}: {exc.detail}"
        case OSError() if exc.filename is not None:
            return ExitCode.REFUSED, f"{exc.strerror or exc}: {exc.filename}"
    return ExitCode.INTERNAL, (
        f"karakoram stopped on an unexpected error ({type(exc).__name__}: {exc}). "
        "Run the command again with --debug to see the traceback, and report it."
    )


def settings_problems(exc: ValidationError, config: Path | None) -> str:
    """One line per refused setting: unknown keys by name, invalid values with the reason."""
    where = str(config) if config is not None else "the environment"
    lines = [f"The configuration ({where}) is refused:"]
    for error in exc.errors():
        name = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            lines.append(f"  - unknown setting {name!r}")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        lines.append(f"  - {name}: {message}" if name else f"  - {message}")
    return "\n".join(lines)
