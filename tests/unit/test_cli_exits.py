"""The exit codes of the `karakoram` command: each kind of error has its own, the README lists
exactly those, and a settings error reads as one line per setting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from karakoram.bootstrap import DatabaseUnreachable, SchemaOutOfDate
from karakoram.config import ConfigError, ConfigFileMissing, Settings
from karakoram.domain.errors import FieldError, ValidationFailed
from karakoram.entrypoints.cli.exits import ExitCode, explain

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_lists_exactly_the_exit_codes():
    section = README.read_text().split("### Exit codes", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for code in re.findall(r"^\| (\d+) \|", section, re.MULTILINE)}
    assert listed == {code.value for code in ExitCode}


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (ConfigFileMissing("No configuration file at x.toml"), ExitCode.CONFIGURATION),
        (ConfigError("x.toml is not valid TOML"), ExitCode.CONFIGURATION),
        (DatabaseUnreachable("The database does not answer"), ExitCode.DATABASE_UNREACHABLE),
        (SchemaOutOfDate("run `karakoram db upgrade`"), ExitCode.SCHEMA_OUT_OF_DATE),
        (ValidationFailed([FieldError("required", "/x", "x is required")]), ExitCode.REFUSED),
        (RuntimeError("a bug"), ExitCode.INTERNAL),
    ],
)
def test_each_kind_of_error_has_its_exit_code(error, code):
    assert explain(error, None)[0] == code


def test_a_settings_error_names_each_unknown_key_and_bad_value():
    with pytest.raises(ValidationError) as refused:
        Settings(colour="red", port="eighty")  # type: ignore[call-arg]
    code, message = explain(refused.value, Path("node.toml"))
    assert code == ExitCode.CONFIGURATION
    assert message.splitlines()[0] == "The configuration (node.toml) is refused:"
    assert "  - unknown setting 'colour'" in message.splitlines()
    assert any(line.startswith("  - port: ") for line in message.splitlines())
