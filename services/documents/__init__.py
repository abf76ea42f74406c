"""Documents the service issues and anyone can check: PDF rendering and signed verification codes.

- `signing`: a verification code is a signature, keyed with the service's secret, over what a
  document claims to be (its kind, its subject, the legal date it states and the date as known at
  which it states it) and a digest of everything it says. It is not a lookup id: nothing is stored
  when a document is issued, and checking a code means stating the document again and comparing.
- `pdf`: A4 pages from Jinja2 templates (WeasyPrint): margins, running header, page numbers, the
  code on every page, and byte-identical output for identical content.
- `qr`: the QR code that leads to the public verification page (segno).

The relevés of R-8.2 (`services.records`) are the first users; a new kind of document does the
same: its content as JSON values, a `signing.Claim` of a kind numbered in `signing.KINDS`, its code
`Signer(secret).code(claim, content_digest(content))`, a template that extends `document.html`
(blocks `issuer_note` and `body`) rendered by `pdf.document_html`, then `pdf.pdf_of` (one document)
or `pdf.pdf_of_many` (several in one file, each numbered on its own pages). Checking a code is
stating the document again for its claim and asking `Signer.matches`.
"""
