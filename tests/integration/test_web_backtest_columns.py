"""The back-test page says what each column counts: what the back-test replays, what it does
not (partner data, the truck's cargo report) and that "at the time" is the channel held now."""

from __future__ import annotations

from tests.builders import declaration
from tests.integration.test_clearance import (  # noqa: F401 - policy is a fixture
    EXAMPLES,
    goods,
    load,
    lodge,
    policy,
)
from tests.integration.test_web import sign_in


def test_the_backtest_page_says_what_each_column_counts(client, keys, policy):  # noqa: F811
    lodge(client, keys, goods(declaration("BC-1"), "854442"))
    sign_in(client, keys.supervisor)
    page = client.get(f"/ui/rules/{policy}/backtest")
    assert page.status_code == 200
    said = " ".join(
        p.split(">", 1)[1].split("</p>")[0] for p in page.text.split('class="hint what-counts"')[1:]
    )
    assert "replaying its own random draw" in said
    assert "Not replayed: the partner&#39;s data (mirror gaps" in said
    assert "cargo report" in said
    assert "At the time: the channel each declaration holds now" in said
    chinese = client.get(f"/ui/rules/{policy}/backtest", headers={"Accept-Language": "zh-CN"}).text
    assert "不重放：对方海关的数据" in chinese


def test_the_backtest_page_gives_each_rule_in_the_readers_language(client, keys, policy):  # noqa: F811
    """A rule's description on the back-test page comes from its file's translation when it
    has one (explanation.zh_Hans, explanation.ur), as on the declaration page."""
    version = load(client, keys, "rules", (EXAMPLES / "rules-khunjerab.toml").read_text())
    lodge(client, keys, goods(declaration("BC-2"), "740311"))
    sign_in(client, keys.supervisor)
    english = client.get(f"/ui/rules/{version}/backtest").text
    chinese = client.get(f"/ui/rules/{version}/backtest", headers={"Accept-Language": "zh-CN"}).text
    assert 'data-rule="CU-UNDERVALUE"' in chinese
    assert "低于世界市场价格的阴极铜和铜线" in chinese and "低于世界市场价格" not in english
