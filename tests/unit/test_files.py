"""Reading declarations out of CSV and JSON Lines files."""

from __future__ import annotations

import csv
import io
import json

from karakoram.domain.declaration.files import CSV_HEADER_COLUMNS, CSV_ITEM_COLUMNS, read_documents
from tests.builders import declaration


def to_csv_rows(doc: dict) -> list[dict[str, str]]:
    header = {}
    for column in CSV_HEADER_COLUMNS:
        head, _, tail = column.partition(".")
        value = doc.get(head, {}).get(tail) if tail else doc.get(head)
        header[column] = (
            "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
        )
    return [
        header | {c: str(item.get(c.removeprefix("item."), "") or "") for c in CSV_ITEM_COLUMNS}
        for item in doc["items"]
    ]


def write_csv(docs: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[*CSV_HEADER_COLUMNS, *CSV_ITEM_COLUMNS])
    writer.writeheader()
    for doc in docs:
        writer.writerows(to_csv_rows(doc))
    return out.getvalue().encode()


def test_csv_rows_with_the_same_lrn_form_one_declaration():
    data = write_csv([declaration("A", items=3), declaration("B", items=1)])
    docs = list(read_documents(io.BytesIO(data), "csv"))
    assert [d.location for d in docs] == ["rows 2-4", "row 5"]
    assert [len(d.data["items"]) for d in docs] == [3, 1]
    assert docs[0].data["exporter"]["country"] == "CN"
    assert docs[0].data["items"][0]["hs_code"] == "847130"
    assert "preference" not in docs[0].data["items"][0]


def test_csv_rows_that_disagree_on_the_header_are_reported():
    rows = to_csv_rows(declaration("A", items=2))
    rows[1]["incoterm"] = "FCA"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    (doc,) = read_documents(io.BytesIO(out.getvalue().encode()), "csv")
    assert [(e.code, e.pointer) for e in doc.errors] == [("inconsistent_rows", "/incoterm")]


def test_csv_with_unknown_columns_is_refused_as_a_whole():
    (doc,) = read_documents(io.BytesIO(b"lrn,colour\nA,red\n"), "csv")
    assert [(e.code, e.pointer) for e in doc.errors] == [("unknown_field", "/columns/colour")]


def test_jsonl_reports_the_line_of_bad_json_and_skips_blank_lines():
    data = json.dumps(declaration("A")) + "\n\n{not json\n" + json.dumps(declaration("B"))
    docs = list(read_documents(io.BytesIO(data.encode()), "jsonl"))
    assert [d.location for d in docs] == ["line 1", "line 3", "line 4"]
    assert docs[1].errors[0].code == "invalid_json"
    assert docs[2].data["lrn"] == "B"
