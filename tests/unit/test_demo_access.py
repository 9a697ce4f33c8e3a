"""What the demo prints at the end: where each node's API, docs and web UI are, and a ready key
for every role a person signs in as."""

from __future__ import annotations

import json
import re
from types import SimpleNamespace

from karakoram.demo import run as demo_run
from karakoram.demo.expo_day import DemoExpo, expo_access
from karakoram.demo.run import DemoRun


def test_the_demo_prints_each_nodes_web_ui_and_a_key_per_role(tmp_path):
    side = SimpleNamespace(
        administration="CN-URC",
        url="http://127.0.0.1:8000",
        country="CN",
        keys={"admin": "kk_a", "officer-1": "kk_o", "analyst": "kk_n", "trader-7": "kk_t"},
    )
    roles = {
        "administrator": "admin",
        "officer": "officer-1",
        "analyst": "analyst",
        "trader": "trader-7",
    }
    run = DemoRun(nodes=[], links={}, sides={"cn": side}, catalogue=None, lock=None)  # type: ignore[arg-type,dict-item]
    run.roles = {"cn": roles}
    with demo_run.console.capture() as captured:
        demo_run.print_access(run, tmp_path, 1.0)
    printed = captured.get()
    assert "web UI http://127.0.0.1:8000/ui" in printed
    for role, user in roles.items():
        assert f"export KEY_CN_{role.upper()}={side.keys[user]}" in printed
    # the console folds a long path at its width (80 here); a worker's tmp_path (pytest-xdist,
    # .../popen-gw0/...) is long enough to be folded
    assert str(tmp_path / "demo.json") in "".join(printed.splitlines())


def test_the_demo_prints_each_expo_participants_key_for_the_expo_web_ui(tmp_path):
    expo = DemoExpo(tmp_path, 8100, organiser_key="organiser-key")
    expo.participants = {"Kashgar Textile Mills": "kx_k", "Sost Dry Port Logistics": "kx_s"}
    expo.meetings = 1
    printed = "\n".join(expo_access(expo))
    assert "Expo    web UI http://127.0.0.1:8100/ui" in printed
    assert "organiser-key" in printed
    for name, key in expo.participants.items():
        assert re.search(rf"^  {name} +{key}$", printed, re.MULTILINE), (name, printed)


def test_the_expo_keeps_its_address_and_keys_beside_its_database_for_the_owner_only(tmp_path):
    expo = DemoExpo(tmp_path, 8100, organiser_key="organiser-key")
    expo.participants = {"Kashgar Textile Mills": "kx_k"}
    expo.write_access()
    path = tmp_path / "access.json"
    assert path.stat().st_mode & 0o777 == 0o600
    assert json.loads(path.read_text()) == {
        "url": "http://127.0.0.1:8100",
        "organiser_key": "organiser-key",
        "participants": {"Kashgar Textile Mills": "kx_k"},
    }
