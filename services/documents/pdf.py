"""PDF documents from Jinja2 templates, rendered by WeasyPrint (A4, margins, page numbers).

Rendering is deterministic: WeasyPrint writes no clock into the file, and the document's dates are
those of its content, so the same document issued twice is the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from services.documents.qr import qr_data_uri
from services.web import labels
from services.web.labels import french_date

TEMPLATES = Path(__file__).parent / "templates"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def css_string(value: object) -> Markup:
    """Text for a CSS string between double quotes in a <style> (the margin boxes' `content`):
    anything but letters, digits and plain punctuation as a CSS escape, never an HTML entity."""
    text = str(value)
    return Markup(
        "".join(c if c.isalnum() or c in " -.,:;()/—" else f"\\{ord(c):x} " for c in text)
    )


environment.filters["date"] = french_date
environment.filters["css_string"] = css_string
environment.filters["long_date"] = labels.long_date
environment.filters["number"] = labels.number
environment.globals["plural"] = labels.plural
environment.globals["labels"] = labels


def html_of(template: str, **context: Any) -> str:
    """The document as HTML: what WeasyPrint prints, and what the tests read."""
    return environment.get_template(template).render(**context)


def document_html(
    template: str,
    *,
    title: str,
    issuer: str,
    created: date,
    code: str,
    verify_page: str,
    **context: Any,
) -> str:
    """A signed document's HTML: `template` extends `document.html`, which prints the issuer, the
    title, the code on every page and a QR code leading to `verify_page/code`."""
    return html_of(
        template,
        title=title,
        issuer=issuer,
        created=created,
        code=code,
        qr=qr_data_uri(f"{verify_page}/{code}"),
        verify_url=verify_page,
        **context,
    )


def pdf_of(html: str) -> bytes:
    """The HTML printed to PDF (A4 and its margins come from `document.css`)."""
    from weasyprint import HTML  # imported when a PDF is made: pango is loaded then, not before

    pdf: bytes = HTML(string=html, base_url=str(TEMPLATES)).write_pdf()
    return pdf


def pdf_of_many(htmls: Sequence[str]) -> bytes:
    """Several documents as one PDF (the day's letters, say), each numbered on its own pages."""
    from weasyprint import HTML

    documents = [HTML(string=html, base_url=str(TEMPLATES)).render() for html in htmls]
    if not documents:
        raise ValueError("no document to print")
    pages = [page for document in documents for page in document.pages]
    pdf: bytes = documents[0].copy(pages).write_pdf()
    return pdf
