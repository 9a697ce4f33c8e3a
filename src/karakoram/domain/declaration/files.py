"""Stream declarations out of JSON Lines and CSV files, one `SourceDocument` at a time.

CSV has one row per goods item; consecutive rows with the same `lrn` form one declaration.
Declaration fields use dotted names (`exporter.country`, `invoice.amount`); item fields start
with `item.` (`item.hs_code`). Nothing is read into memory beyond one declaration.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from karakoram.domain.declaration.documents import SourceDocument
from karakoram.domain.declaration.dotted import nest
from karakoram.domain.declaration.goods_items import ITEM_FIELDS
from karakoram.domain.errors import FieldError

ITEM_PREFIX = "item."

CSV_HEADER_COLUMNS = (
    "type",
    "lrn",
    "ucr",
    *(
        f"{p}.{f}"
        for p in ("declarant", "exporter", "importer")
        for f in ("name", "identifier", "country", "aeo")
    ),
    "office_of_lodgement",
    "office_of_exit_entry",
    "crossing",
    "transport.registration",
    "transport.nationality",
    "driver.name",
    "driver.passport_number",
    "driver.nationality",
    "invoice.amount",
    "invoice.currency",
    "incoterm",
)
CSV_ITEM_COLUMNS = tuple(ITEM_PREFIX + f for f in ITEM_FIELDS)


class ByteCounter(io.RawIOBase):
    """Wraps a binary stream and counts bytes read, for progress bars."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


#: the longest line a JSON Lines or CSV file may have (a declaration of many items fits)
MAX_LINE_BYTES = 1024 * 1024


class BadLine(ValueError):
    """A line of an uploaded file that cannot be read as text: its number and why."""

    def __init__(self, number: int, code: str, message: str) -> None:
        super().__init__(message)
        self.number = number
        self.code = code

    def document(self) -> SourceDocument:
        return SourceDocument(f"line {self.number}", errors=[FieldError(self.code, "", str(self))])


def text_lines(stream: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[str]:
    """The lines of a UTF-8 file, each read with a bounded buffer; raises `BadLine` at the
    first line that is not UTF-8 or is longer than `limit` bytes."""
    for number in itertools.count(1):
        raw = stream.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit:
            raise BadLine(number, "line_too_long", f"Line {number} is longer than {limit:,} bytes.")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw = raw[len(codecs.BOM_UTF8) :]
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadLine(
                number,
                "invalid_encoding",
                f"Line {number} is not UTF-8 (byte {exc.start + 1} of the line).",
            ) from None


def read_jsonl(lines: Iterable[str]) -> Iterator[SourceDocument]:
    try:
        yield from _jsonl_documents(lines)
    except BadLine as bad:
        yield bad.document()


#: one decoder for every line: `json.loads` with an argument builds a decoder per call, which
#: cost three times the decoding of a 2 kB line
_DECODER = json.JSONDecoder(parse_float=Decimal)


def _decoded(line: str) -> Any:
    """`json.loads(line, parse_float=Decimal)`, the same values and the same errors."""
    if type(line) is not str or line.startswith("\ufeff"):
        return json.loads(line, parse_float=Decimal)  # its own message for a BOM, or bytes
    return _DECODER.decode(line)


def _jsonl_documents(lines: Iterable[str]) -> Iterator[SourceDocument]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        location = f"line {number}"
        try:
            yield SourceDocument(location, _decoded(line))
        except json.JSONDecodeError as exc:
            yield SourceDocument(
                location,
                errors=[
                    FieldError("invalid_json", "", f"Line {number} is not valid JSON: {exc.msg}.")
                ],
            )
        except RecursionError:
            yield SourceDocument(
                location,
                errors=[FieldError("invalid_json", "", f"Line {number} is nested too deeply.")],
            )


def _nest(row: dict[str, str], columns: Iterable[str]) -> dict[str, Any]:
    filled = ((column, (row.get(column) or "").strip()) for column in columns)
    return nest((column, value) for column, value in filled if value)


def _group_document(
    rows: list[tuple[int, dict[str, str]]], header_cols: list[str], item_cols: list[str]
) -> SourceDocument:
    first_line, first = rows[0]
    location = f"rows {first_line}-{rows[-1][0]}" if len(rows) > 1 else f"row {first_line}"
    errors = [
        FieldError(
            "inconsistent_rows",
            "/" + col.replace(".", "/"),
            f"Row {line} gives {col} = {row.get(col)!r}, row {first_line} gave "
            f"{first.get(col)!r}; all rows of one declaration must agree.",
        )
        for line, row in rows[1:]
        for col in header_cols
        if (row.get(col) or "").strip() and row.get(col) != first.get(col)
    ]
    document = _nest(first, header_cols)
    document["items"] = [_nest(row, item_cols).get("item", {}) for _, row in rows]
    return SourceDocument(location, document, errors)


def read_csv(text: Iterable[str]) -> Iterator[SourceDocument]:
    lines = _Counted(text)
    reader = csv.DictReader(lines)
    try:
        yield from _csv_documents(reader)
    except BadLine as bad:
        yield bad.document()
    except csv.Error as exc:
        line = lines.count
        yield SourceDocument(
            f"line {line}",
            errors=[FieldError("invalid_csv", "", f"Line {line} is not valid CSV: {exc}.")],
        )


class _Counted:
    """Lines passed on with a count: the number of the line the CSV reader is at."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self.count = 0

    def __iter__(self) -> _Counted:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.count += 1
        return line


def _csv_documents(reader: csv.DictReader[str]) -> Iterator[SourceDocument]:
    columns = list(reader.fieldnames or [])
    unknown = [c for c in columns if c not in CSV_HEADER_COLUMNS and c not in CSV_ITEM_COLUMNS]
    if unknown or "lrn" not in columns:
        problems = [
            FieldError("unknown_field", f"/columns/{c}", f"Unknown CSV column {c!r}.")
            for c in unknown
        ]
        if "lrn" not in columns:
            problems.append(FieldError("required", "/columns/lrn", "The CSV needs an lrn column."))
        yield SourceDocument("header", errors=problems)
        return
    header_cols = [c for c in columns if c in CSV_HEADER_COLUMNS]
    item_cols = [c for c in columns if c in CSV_ITEM_COLUMNS]
    group: list[tuple[int, dict[str, str]]] = []
    for line, row in enumerate(reader, start=2):
        if group and row.get("lrn") != group[0][1].get("lrn"):
            yield _group_document(group, header_cols, item_cols)
            group = []
        group.append((line, row))
    if group:
        yield _group_document(group, header_cols, item_cols)


def read_documents(stream: IO[bytes], fmt: str) -> Iterator[SourceDocument]:
    """Declarations from a binary stream of JSON Lines (`jsonl`) or CSV (`csv`)."""
    if fmt == "csv":
        return read_csv(text_lines(stream))
    if fmt == "jsonl":
        return read_jsonl(text_lines(stream))
    raise ValueError(f"unknown format {fmt!r}; use jsonl or csv")


def format_of(filename: str) -> str:
    lower = filename.lower()
    if lower.endswith(".csv"):
        return "csv"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    raise ValueError(f"Cannot tell the format of {filename!r}: name it .csv or .jsonl")
