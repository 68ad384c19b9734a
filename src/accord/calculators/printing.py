"""The business case as a PDF: the same HTML the page shows, laid out by WeasyPrint.

WeasyPrint (HTML and CSS to PDF, over Pango) rather than ReportLab (drawing commands): the
page and the PDF come from one template, so they cannot disagree on a figure. The document
loads nothing: its stylesheet is read from our static folder and handed over, and every URL
the HTML might name is refused, so a PDF never reaches the network or the disk.
"""

from pathlib import Path

STYLESHEET = Path(__file__).resolve().parent.parent / "static" / "accord" / "case.css"


def pdf(html: str) -> bytes:
    """A PDF of one self-contained HTML document."""
    # Imported here: WeasyPrint takes a moment to load, and only this door needs it.
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    nothing = URLFetcher(allowed_protocols=frozenset())
    document = HTML(string=html, url_fetcher=nothing, base_url=None)
    stylesheet = CSS(string=STYLESHEET.read_text(encoding="utf-8"), url_fetcher=nothing)
    return document.write_pdf(stylesheets=[stylesheet])
