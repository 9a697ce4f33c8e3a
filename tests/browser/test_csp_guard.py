"""The CSP listener of conftest.py sees a violation, so the check after every test can fail."""

from __future__ import annotations

from playwright.sync_api import expect

FOREIGN = "https://example.invalid/x.png"
ADD_IMAGE = "(src) => { const i = new Image(); i.src = src; document.body.append(i); }"


def test_a_foreign_image_is_reported_as_a_csp_violation(page, csp_violations):
    page.goto("/ui/sign-in")
    expect(page.locator("h1")).to_be_visible()
    assert csp_violations == []
    # img-src is 'self' and data: only; the browser blocks this before any request leaves
    page.evaluate(ADD_IMAGE, FOREIGN)
    for _ in range(100):  # the report crosses to the test asynchronously: poll, bounded
        if csp_violations:
            break
        page.evaluate("new Promise((done) => setTimeout(done, 20))")
    assert [(v["directive"], v["blocked"]) for v in csp_violations] == [("img-src", FOREIGN)]
    csp_violations.clear()  # seen and expected: the check after the test must not fail on it
