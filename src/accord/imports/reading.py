"""Reading CSV exports as they come: any common encoding and delimiter, streamed.

Nothing here loads a whole file: the sample used for detection is the first 64 KiB,
and rows are yielded one at a time.
"""

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SAMPLE_BYTES = 64 * 1024
DELIMITERS = (",", ";", "\t", "|")
# A single cell larger than this is not CRM data; refuse it instead of eating memory.
MAX_FIELD_CHARS = 1_000_000


class FileProblem(ValueError):
    """The file as a whole cannot be read (not a CSV, an undecodable byte, no header)."""


class EncodingProblem(FileProblem):
    """A byte sequence that the detected encoding cannot decode."""


@dataclass(frozen=True)
class Layout:
    encoding: str
    delimiter: str
    header: tuple[str, ...]


def _detect_encoding(sample: bytes) -> str:
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(sample) >= 4 and sample[1:4:2] == b"\x00\x00" and sample[0:4:2].count(0) == 0:
        return "utf-16-le"  # Excel "Unicode text" without a byte order mark
    if len(sample) >= 4 and sample[0:4:2] == b"\x00\x00" and sample[1:4:2].count(0) == 0:
        return "utf-16-be"
    try:
        # A multi-byte character may be cut at the sample's end: ignore only that.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _detect_delimiter(header_line: str) -> str:
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _text(path: Path, encoding: str) -> io.TextIOWrapper:
    # cp1252 leaves five bytes undefined; a stray one should not stop an import.
    errors = "replace" if encoding == "cp1252" else "strict"
    return open(path, encoding=encoding, errors=errors, newline="")  # noqa: SIM115


def inspect(path: Path) -> Layout:
    with open(path, "rb") as raw:
        sample = raw.read(SAMPLE_BYTES)
    if not sample.strip():
        raise FileProblem("The file is empty.")
    if b"\x00" in sample and not _detect_encoding(sample).startswith("utf-16"):
        raise FileProblem("This looks like a binary file (a spreadsheet?), not CSV text.")
    encoding = _detect_encoding(sample)
    with _text(path, encoding) as stream:
        try:
            first_line = stream.readline(SAMPLE_BYTES)
        except UnicodeDecodeError:
            encoding = "cp1252"
            first_line = _text(path, encoding).readline(SAMPLE_BYTES)
    delimiter = _detect_delimiter(first_line)
    header = next(csv.reader([first_line], delimiter=delimiter), [])
    header = tuple(h.strip() for h in header)
    if not any(header):
        raise FileProblem("The first line should name the columns, but it is blank.")
    return Layout(encoding, delimiter, header)


def rows(path: Path, layout: Layout) -> Iterator[tuple[int, list[str]]]:
    """Yield (row number, cells) for each data row; row 1 is the first line after the header.

    Blank rows are skipped but still counted, so numbers match the file as a person sees it.
    """
    csv.field_size_limit(MAX_FIELD_CHARS)
    with _text(path, layout.encoding) as stream:
        reader = csv.reader(stream, delimiter=layout.delimiter)
        number = 0
        try:
            next(reader, None)
            for number, cells in enumerate(reader, start=1):  # noqa: B007
                if any(c.strip() for c in cells):
                    yield number, cells
        except UnicodeDecodeError as error:
            raise EncodingProblem(
                f"Row {number + 1}: bytes that are not {layout.encoding} text ({error.reason}). "
                "Save the file as UTF-8 and import it again."
            ) from None
        except csv.Error as error:
            raise FileProblem(f"Row {number + 1}: the CSV structure is broken ({error}).") from None
