"""The README's pictures: every image it shows exists, and the tour's pictures
(docs/tour/, made by docs/tour/shoot.py) are each shown, small enough to load quickly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
TOUR = ROOT / "docs" / "tour"
#: markdown images and HTML <img> tags; links to the web (badges) are not files here
IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img\s[^>]*\bsrc=\"([^\"]+)\"")
MAX_BYTES = 200 * 1024


def shown() -> list[str]:
    text = README.read_text()
    found = [a or b for a, b in IMAGE.findall(text)]
    return [f for f in found if not f.startswith(("http://", "https://"))]


def test_every_image_the_readme_shows_exists():
    images = shown()
    assert images, "the README shows no image: the pattern no longer matches its syntax"
    missing = [f for f in images if not (ROOT / f).is_file()]
    assert missing == [], f"README.md shows images that are not in the repository: {missing}"


def test_every_picture_of_the_tour_is_shown_and_small():
    images = {(ROOT / f).resolve() for f in shown()}
    pictures = sorted(TOUR.glob("*.png"))
    assert pictures, "docs/tour/ has no pictures: run docs/tour/shoot.py"
    unshown = [p.name for p in pictures if p.resolve() not in images]
    assert unshown == [], f"pictures in docs/tour/ the README does not show: {unshown}"
    large = {p.name: p.stat().st_size for p in pictures if p.stat().st_size > MAX_BYTES}
    assert large == {}, f"pictures over {MAX_BYTES} bytes (shoot.py quantises them): {large}"
