"""Text a spreadsheet would run as a formula: the one rule for every file Accord writes,
and its exact inverse for the files it reads back.

Excel, LibreOffice and Google Sheets run a cell that starts with `=`, `+`, `-` or `@`, and
`|` opens a DDE link (`+cmd|' /C calc'!A0`); a leading tab or carriage return hides such a
start. They also read the fullwidth and small forms of these signs (`＝`, `﹢`, `＠`, `｜`)
as the ASCII ones, so the first character is compared after NFKC folding. Such text gets a
leading quote, which a spreadsheet shows as text.

The quote must come off again when Accord reads the file back, or an export imported
again would change every such value (and find no account named `'=Acme`, and create one).
So text that already starts with quotes before such a sign gets one more quote on the way
out and loses exactly one on the way in: `restore(neutralise(text)) == text` for any text.
No Django imports here.
"""

import unicodedata

_RUNS = frozenset("=+-@|\t\r")
QUOTE = "'"


def _would_run(text: str) -> bool:
    first = text[:1]
    return bool(first) and unicodedata.normalize("NFKC", first)[:1] in _RUNS


def _needs_quote(text: str) -> bool:
    """True for text that is, after any leading quotes, a formula."""
    return _would_run(text.lstrip(QUOTE))


def neutralise(text: str) -> str:
    """`text` as a cell a spreadsheet shows as text and never runs."""
    return QUOTE + text if _needs_quote(text) else text


def restore(cell: str) -> str:
    """The text `neutralise` turned into `cell` (anything else comes back as it is)."""
    if cell.startswith(QUOTE) and _needs_quote(cell[1:]):
        return cell[1:]
    return cell
