"""What the demo prints at the end: where each node's API, docs and web UI are."""

from __future__ import annotations

from types import SimpleNamespace

from karakoram.entrypoints import cli_demo


def test_the_demo_prints_each_nodes_web_ui(tmp_path, monkeypatch):
    side = SimpleNamespace(
        administration="CN-URC",
        url="http://127.0.0.1:8000",
        country="CN",
        keys={"admin": "kk_a", "officer": "kk_o", "analyst": "kk_n"},
    )
    with cli_demo.console.capture() as captured:
        cli_demo._print_access({"cn": side}, tmp_path, 1.0)
    assert "http://127.0.0.1:8000/ui" in captured.get()
