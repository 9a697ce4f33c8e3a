"""The navigation an administrator sees: each entry a different page under a different name."""

from __future__ import annotations

import re
from collections import Counter

from tests.integration.test_web import sign_in


def _nav(html: str) -> list[tuple[str, str]]:
    nav = html.split("<nav>", 1)[1].split("</nav>", 1)[0]
    return [
        (href, re.sub(r"<[^>]+>", "", text).strip())
        for href, text in re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav, re.DOTALL)
    ]


def test_the_administrator_s_audit_entries_have_different_names_and_pages(client, keys):
    sign_in(client, keys.admin)
    links = _nav(client.get("/ui/admin/users").text)
    audit = [(href, name) for href, name in links if "audit" in name.lower()]
    assert sorted(name for _, name in audit) == ["Audit chain verification", "Audit trail"]
    assert len({href for href, _ in audit}) == 2
    names = Counter(name for _, name in links)
    assert [n for n, count in names.items() if count > 1] == []
    verification = client.get(dict((n, h) for h, n in audit)["Audit chain verification"])
    assert "<h1>Audit chain verification</h1>" in verification.text
