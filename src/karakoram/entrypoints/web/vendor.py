"""The charts' script and its stylesheet, from the installed plotly package (no CDN).

plotly.js writes its global styles into a `<style>` element when it loads, which a CSP without
'unsafe-inline' refuses. It skips that when the page already has an element with the id
`plotly.js-style-global` and the class `no-inline-styles` (plotly.js ≥ 2.35): the pages link
this stylesheet under that id, made from the very rules the installed script would insert.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.util import find_spec
from pathlib import Path

#: the charts' script, as the installed plotly package carries it
PLOTLY_JS = Path(str(find_spec("plotly").origin)).parent / "package_data" / "plotly.min.js"  # type: ignore[union-attr]

# the rules object of plotly.js's build/plotcss module: {"X,X div":'...', ...}; X and Y stand
# for the plot's and the notifier's selectors
_RULES_START = '{"X,X div":'
_RULES_END = re.compile(r"\};for\(\w+ in \w+\)")
_RULE = re.compile(r'"((?:[^"\\]|\\.)*)":(?:\'((?:[^\'\\]|\\.)*)\'|"((?:[^"\\]|\\.)*)")')


# a bundled library's stylesheet (maplibre's) that plotly.js inserts unless an element of its id
# is on the page: its id and text
_BUNDLED = re.compile(
    r'getElementById\("([0-9a-f]{16,64})"\)\)\{var (\w+)=document\.createElement\("style"\);'
    r"\2\.id=\"\1\",\2\.textContent='([^']*)'"
)


@cache
def plotly_style_ids() -> tuple[str, ...]:
    """Ids of the `<style>` elements plotly.js's bundled libraries write unless present: the
    pages put an empty element of each id, their rules are in `plotly_css`."""
    return tuple(m.group(1) for m in _BUNDLED.finditer(_script()))


@cache
def _script() -> str:
    return PLOTLY_JS.read_text(encoding="utf-8")


@cache
def plotly_css() -> str:
    """The global rules plotly.js would insert, and its bundled libraries' styles."""
    script = _script()
    bundled = "".join(m.group(3) + "\n" for m in _BUNDLED.finditer(script))
    return _global_rules(script) + bundled


def _global_rules(script: str) -> str:
    start = script.find(_RULES_START)
    end = _RULES_END.search(script, start) if start >= 0 else None
    if end is None:  # another plotly.js layout: the charts still draw, with default styles
        return "/* plotly.js rules not found */\n"
    rules = []
    for match in _RULE.finditer(script[start : end.start()]):
        selector = re.sub(r"^,", " ,", match.group(1))
        selector = selector.replace("X", ".js-plotly-plot .plotly").replace("Y", ".plotly-notifier")
        body = match.group(2) if match.group(2) is not None else match.group(3)
        rules.append(f"{selector}{{{body}}}")
    return "\n".join(rules) + "\n"
