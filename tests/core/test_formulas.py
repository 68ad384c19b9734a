"""One rule for text a spreadsheet would run, and its exact inverse for reading files back."""

import pytest

from accord.core.formulas import neutralise, restore

RUNNABLE = [
    '=HYPERLINK("http://evil.example","x")',
    "@SUM(A1)",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "|cmd",
    "\t=1+1",
    "\r=1+1",
    '＝HYPERLINK("http://evil.example")',  # fullwidth equals sign
    "＋1",
    "－1",
    "＠SUM(A1)",
    "｜cmd",
    "﹦1+1",  # small equals sign
]
PLAIN = ["Acme", "acme.example", "1+1", "a=b", "O'Brien", "'tis", "", "'", "  =spaced", "€100"]


@pytest.mark.parametrize("text", RUNNABLE)
def test_text_a_spreadsheet_would_run_gets_a_leading_quote(text):
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("text", PLAIN)
def test_other_text_is_left_as_it_is(text):
    assert neutralise(text) == text
    assert restore(text) == text


@pytest.mark.parametrize("text", [*RUNNABLE, *PLAIN, "'=already quoted", "''+twice", "'－", "'''|"])
def test_reading_back_undoes_exactly_the_quote_that_was_added(text):
    assert restore(neutralise(text)) == text
    # Whatever a cell held, quoting what the importer reads gives the same cell again.
    assert neutralise(restore(neutralise(text))) == neutralise(text)


def test_text_that_already_starts_with_a_quote_before_a_formula_gets_one_more():
    assert neutralise("'=1+1") == "''=1+1"
    assert restore("''=1+1") == "'=1+1"
    assert restore("'=1+1") == "=1+1"
