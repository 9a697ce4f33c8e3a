"""The expo keeps the node's layers inside its own sub-package: its domain imports only the
standard library and the node's domain, its services never reach adapters or entrypoints, its
entrypoints never import adapters (only its bootstrap does), and the node reaches the expo only
through the CLI group that registers `karakoram expo`."""

from __future__ import annotations

from karakoram.expo import __file__ as expo_init
from tests.unit.test_architecture import PACKAGE, imports_of, source_files

EXPO = PACKAGE / "expo"


def _imports(folder: str) -> list[tuple[str, str]]:
    root = EXPO / folder if folder else EXPO
    return [(i.source, i.target) for p in source_files(root) for i in imports_of(p)]


def test_expo_domain_imports_only_domains():
    wrong = [
        (s, t)
        for s, t in _imports("domain")
        if not (t.startswith("karakoram.expo.domain") or t.startswith("karakoram.domain"))
    ]
    assert wrong == []


def test_expo_services_never_import_adapters_or_entrypoints():
    bad = ("karakoram.adapters", "karakoram.entrypoints", "karakoram.expo.adapters")
    wrong = [
        (s, t)
        for s, t in _imports("services")
        if t.startswith((*bad, "karakoram.expo.entrypoints"))
    ]
    assert wrong == []


def test_expo_entrypoints_never_import_adapters():
    wrong = [
        (s, t)
        for s, t in _imports("entrypoints")
        if t.startswith(("karakoram.adapters", "karakoram.expo.adapters"))
    ]
    assert wrong == []


def test_the_node_reaches_the_expo_only_through_its_cli_group_and_the_demos_expo_day():
    node_files = [p for p in source_files() if EXPO not in p.parents]
    reaching = {
        i.source for p in node_files for i in imports_of(p) if i.target.startswith("karakoram.expo")
    }
    # the demo starts an expo beside its two nodes: through its one module, demo/expo_day.py
    assert reaching == {"karakoram.entrypoints.cli.main", "karakoram.demo.expo_day"}
    assert expo_init


def test_every_expo_setting_is_documented():
    from karakoram.expo.config import ExpoSettings

    assert [n for n, f in ExpoSettings.model_fields.items() if not f.description] == []


def test_the_expo_refuses_to_start_without_a_strong_secret():
    import pytest

    from karakoram.expo.config import ExpoSettings, WeakExpoSecret

    with pytest.raises(WeakExpoSecret):
        ExpoSettings(secret_key="short").key_secret()  # type: ignore[arg-type]


def test_the_rooms_ice_servers_are_checked_when_the_expo_starts():
    import pytest
    from pydantic import ValidationError

    from karakoram.expo.config import ExpoSettings

    turn = '[{"urls": "turn:turn.example.org:3478", "username": "expo", "credential": "c"}]'
    assert ExpoSettings(ice_servers=turn).ice_server_list()[0]["username"] == "expo"
    assert ExpoSettings().ice_server_list() == []
    for bad in ("stun:x", '{"urls": "stun:x"}', '[{"url": "stun:x"}]'):
        with pytest.raises(ValidationError):
            ExpoSettings(ice_servers=bad)
