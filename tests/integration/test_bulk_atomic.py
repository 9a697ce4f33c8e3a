"""Issue 14: a bulk upload is stored whole or not at all (the default), or, asked for partial
acceptance, answers for every stored and every refused line; never a 500 after commits."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from karakoram.domain.declaration.documents import SourceDocument
from karakoram.services.bulk import Outcome, import_file
from tests.builders import bend, declaration
from tests.unit.test_handlers import ME

JSONL = {"Content-Type": "application/x-ndjson"}


def jsonl(*documents) -> bytes:
    return ("\n".join(json.dumps(d) for d in documents) + "\n").encode()


def lrns(client, keys) -> list[str]:
    items = client.get("/declarations", headers=keys.trader).json()["items"]
    return sorted(d["declaration"]["lrn"] for d in items)


def test_a_file_with_a_refused_line_stores_nothing_and_names_the_line(client, keys):
    body = jsonl(declaration("A1"), bend(declaration("A2"), "/items/0/unit", "BOX"))
    answer = client.post("/declarations/bulk", content=body, headers=keys.trader | JSONL)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    (error,) = answer.json()["errors"]
    assert error["pointer"] == "/1/items/0/unit" and error["message"].startswith("line 2:")
    assert lrns(client, keys) == []  # not even the good first line


def test_a_good_file_is_stored_whole_and_again_changes_nothing(client, keys):
    body = jsonl(declaration("G1"), declaration("G2"), declaration("G3"))
    first = client.post("/declarations/bulk", content=body, headers=keys.trader | JSONL)
    assert first.status_code == 200
    assert first.json()["summary"] == {"created": 3, "existing": 0, "rejected": 0, "conflict": 0}
    again = client.post("/declarations/bulk", content=body, headers=keys.trader | JSONL).json()
    assert again["summary"] == {"created": 0, "existing": 3, "rejected": 0, "conflict": 0}
    assert lrns(client, keys) == ["G1", "G2", "G3"]


def test_an_unreadable_file_is_a_422_naming_where_and_stores_nothing(client, keys):
    body = jsonl(declaration("U1")) + b"\xff\xfe{}\n"
    whole = client.post("/declarations/bulk", content=body, headers=keys.trader | JSONL)
    # the reader refuses the line that is not UTF-8 and names it; nothing of the file is stored
    assert whole.status_code == 422, whole.text
    assert "invalid_encoding" in whole.text and "line 2" in whole.text, whole.text
    assert lrns(client, keys) == []
    # asked for partial acceptance, the good line is stored and the bad one listed
    part = client.post("/declarations/bulk?partial=true", content=body, headers=keys.trader | JSONL)
    assert part.status_code == 200, part.text
    assert "invalid_encoding" in part.text and "line 2" in part.text, part.text
    assert lrns(client, keys) == ["U1"]


def crashing(documents: list[dict], after: int) -> Iterator[SourceDocument]:
    """The documents, then an unexpected error, as a reader or a later batch might raise."""
    for n, data in enumerate(documents[:after], start=1):
        yield SourceDocument(f"line {n}", data)
    raise RuntimeError("disk gone")


def test_a_partial_upload_that_stops_midway_reports_exactly_what_was_stored(node):
    # the issue: a 500 after earlier batches were committed; resending said "existing"
    documents = [declaration(f"P{k}") for k in range(5)]
    done = import_file(crashing(documents, 3), ME, node.ctx, partial=True, batch_size=2)
    outcomes = [(r.location, r.outcome) for r in done.results]
    assert outcomes == [
        ("line 1", Outcome.CREATED),
        ("line 2", Outcome.CREATED),
        ("rest of the file", Outcome.REJECTED),
    ]
    assert done.results[-1].errors[0].code == "import_stopped"
    again = import_file(iter([SourceDocument("line 1", documents[0]),
                              SourceDocument("line 3", documents[2])]),
                        ME, node.ctx, partial=True)  # fmt: skip
    assert [r.outcome for r in again.results] == [Outcome.EXISTING, Outcome.CREATED]


def test_an_all_or_nothing_upload_that_fails_midway_stores_nothing(node):
    documents = [declaration(f"N{k}") for k in range(5)]
    with pytest.raises(RuntimeError):
        import_file(crashing(documents, 3), ME, node.ctx)
    done = import_file(iter([SourceDocument("line 1", documents[0])]), ME, node.ctx)
    assert done.stored and [r.outcome for r in done.results] == [Outcome.CREATED]


def test_an_assessment_error_in_an_all_or_nothing_upload_keeps_the_whole_file_out(node):
    documents = [SourceDocument(f"line {k}", declaration(f"Z{k}")) for k in range(3)]
    documents.append(SourceDocument("line 4", bend(declaration("Z4"), "/items/0/unit", "BOX")))
    done = import_file(iter(documents), ME, node.ctx)
    assert not done.stored
    assert [r.outcome for r in done.results] == [Outcome.CREATED] * 3 + [Outcome.REJECTED]
    assert import_file(iter(documents[:3]), ME, node.ctx).results[0].outcome == Outcome.CREATED
