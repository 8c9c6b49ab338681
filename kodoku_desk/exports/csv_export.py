"""CSV for auditors and Excel: UTF-8 with a BOM (so Excel detects the encoding), a Japanese
header row, CRLF line ends. Where the file goes is services.exporting's."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import IO

# A cell starting with one of these is read by Excel as a formula (CSV injection); a leading
# apostrophe makes it plain text. Numbers are written as numbers and are not touched.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _encode(rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    return "\ufeff".encode() + _encode([header]) + _encode(rows)


def write_rows(fh: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[object]],
               chunk: int = 2000) -> None:
    """Streams `rows` (any iterable, e.g. a database cursor) into an open binary file."""
    fh.write("\ufeff".encode() + _encode([header]))
    batch: list[Sequence[object]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            fh.write(_encode(batch))
            batch.clear()
    fh.write(_encode(batch))
