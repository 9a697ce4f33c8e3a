"""The back-test page says what each column counts: what the back-test replays, what it does
not (partner data, the truck's cargo report) and that "at the time" is the channel held now."""

from __future__ import annotations

from tests.builders import declaration
from tests.integration.test_clearance import (  # noqa: F401 - policy is a fixture
    goods,
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
