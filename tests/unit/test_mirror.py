"""The mirror comparison: our declaration beside the partner's, figure by figure."""

from __future__ import annotations

from decimal import Decimal

from karakoram.domain.declaration.model import declaration_to_dict
from karakoram.domain.declaration.validation import parse_declaration
from karakoram.domain.exchange.mirror import mirror_gaps, mirror_rows
from tests.builders import declaration, item
from tests.unit.fakes import fake_context


def parsed(*items):
    doc = declaration(items=len(items))
    doc["items"] = list(items)
    ctx = fake_context()
    return parse_declaration(doc, ctx.codes, ctx.rules)


def test_every_figure_is_shown_and_only_gaps_beyond_tolerance_are_flagged():
    ours = parsed(item(gross_mass="31"), item(hs_code="854442"))
    theirs = declaration_to_dict(parsed(item(quantity="12")))
    rows = {(r.field, r.hs6): r for r in mirror_rows(ours, theirs, Decimal(80), Decimal(100))}

    assert rows[("value", None)].flagged and rows[("value", None)].share == Decimal("-0.2")
    hs6 = rows[("hs6", None)]
    assert (hs6.ours, hs6.theirs, hs6.flagged) == ("847130,854442", "847130", True)
    mass = rows[("gross_mass", "847130")]  # 31 against 30: +3.3 %, within the 5 % tolerance
    assert (mass.ours, mass.theirs, mass.flagged) == ("31", "30", False)
    assert rows[("quantity", "847130")].flagged  # 10 against 12: -16.7 %, beyond 2 %
    only_ours = rows[("gross_mass", "854442")]
    assert (only_ours.theirs, only_ours.share, only_ours.flagged) == (None, None, False)

    gaps = mirror_gaps(ours, theirs, Decimal(80), Decimal(100))
    assert [(g.field, g.hs6) for g in gaps] == [
        ("value", None),
        ("hs6", None),
        ("quantity", "847130"),
    ]


def test_without_converted_values_there_is_no_value_row():
    ours = parsed(item(), item())
    rows = mirror_rows(ours, declaration_to_dict(ours), None, None)
    assert [r.field for r in rows] == ["hs6", "gross_mass", "quantity"]
    assert not any(r.flagged for r in rows)
