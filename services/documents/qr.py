"""The QR code printed on a document: the address of its public verification page (segno)."""

from __future__ import annotations

import segno


def qr_data_uri(text: str) -> str:
    """An SVG QR code of `text` as a data URI for an <img>: vector, so sharp at any print size.
    Error correction M (15 %): a folded or stamped page still reads."""
    return str(segno.make(text, error="m").svg_data_uri(scale=4, border=2))
