"""The letters as mail (issue 14 item 4): signed PDFs, one letter or the day's letters at once.

A letter states what the service sent on its date, as known that day (`letter_as_sent`): the
prefecture (settings), the holder's postal address on that date, the facts and the balance of that
date. What it says is a JSON content whose digest its verification code signs with the letter's
kind, NEPH and date (`services.documents.signing`, the relevés' scheme): the code is the reference
printed for the holder (no internal id), `permis letters verify CODE` and `/verifier/CODE` find the
letter again by stating the letters of that kind, NEPH and date and comparing. Nothing is stored
when a letter is printed; printing it again gives the same bytes and the same code. The
consultation code of 48M, 48N and 48SI (R-3.4) is printed on the letter but is not part of what
the code signs, so a verification never reveals it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select

from infrastructure.settings import Prefecture
from projections.catch_up import catch_up
from projections.schema import rm_letters
from projections.view import ReadModels
from services.documents import pdf
from services.documents.signing import Claim, MalformedCode, Signer, claim_of, content_digest
from services.licensing import Licensing, UnknownLicence
from services.web.letters import CODE_LETTERS, LetterDoc, UnknownLetter, letter_as_sent

REFUSED = (
    "Ce code ne correspond à aucune lettre envoyée par le service : le document est faux, ou son "
    "code a été mal recopié."
)
MALFORMED = "Ce texte n'a pas la forme d'un code de vérification (8 groupes de 5 caractères)."
# What the holder's copy leaves out: the service's own references (event, command, rule) and what
# became known after the letter was sent.
INTERNAL = ("index", "position", "command_id", "rule", "ref", "delivered_on", "due_on")


@dataclass(frozen=True)
class Mail:
    """One letter ready to print: what it says, its verification code, its consultation code."""

    doc: LetterDoc
    content: dict[str, Any]
    code: str
    consultation_code: str | None = None

    @property
    def kind(self) -> str:
        return f"letter-{self.doc.type}"


@dataclass(frozen=True)
class LetterCheck:
    genuine: bool
    mail: Mail | None
    message: str


def _json(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    return value


def content_of(doc: LetterDoc, prefecture: Prefecture) -> dict[str, Any]:
    """What the letter says, as JSON values (its digest is signed)."""
    content = {k: _json(v) for k, v in dataclasses.asdict(doc).items() if k not in INTERNAL}
    for w in [content.get("withdrawal"), *content.get("recap", [])]:
        if isinstance(w, dict):
            w.pop("infraction_id", None)  # the feed's id: not the holder's concern
    if content.get("stage"):
        content["stage"].pop("stage_id", None)
    content["forecast"] = [{"due_on": f["due_on"], "text": f["text"]} for f in content["forecast"]]
    content["issuer"] = {
        "name": prefecture.name,
        "address": list(prefecture.address),
        "signatory": prefecture.signatory,
        "signatory_title": prefecture.signatory_title,
    }
    content["carries_code"] = doc.carries_code
    return content


class Letters:
    """Printing and checking the letters of the store of `service`."""

    def __init__(
        self,
        service: Licensing,
        secret: bytes,
        public_url: str,
        prefecture: Prefecture,
        # (NEPH, what is printed) -> the holder's code; None: the code is not printed.
        consultation_code: Callable[[str, str], str] | None = None,
    ) -> None:
        self.service = service
        self.signer = Signer(secret)
        self.public_url = public_url.rstrip("/")
        self.prefecture = prefecture
        self.consultation_code = consultation_code

    def mail(self, doc: LetterDoc) -> Mail:
        content = content_of(doc, self.prefecture)
        claim = Claim(f"letter-{doc.type}", doc.neph, doc.sent_on, doc.sent_on)
        code = self.signer.code(claim, content_digest(content))
        consultation = None
        if doc.type in CODE_LETTERS and self.consultation_code is not None:
            what = f"lettre {doc.type} du {doc.sent_on.strftime('%d/%m/%Y')}"
            consultation = self.consultation_code(doc.neph, what)
        return Mail(doc, content, code, consultation)

    def sent_on(self, day: date) -> Iterator[tuple[str, int, str, str]]:
        """(NEPH, position in its list, type, ref) of every letter sent on `day`, by NEPH: from
        the read models' index of letters, never a scan of the licences."""
        with ReadModels.open(self.service.store.url) as view:
            catch_up(self.service, view)
            letters = rm_letters.c
            query = (
                select(letters.neph, letters.position, letters.type, letters.ref)
                .where(letters.sent_on == day)
                .order_by(letters.neph, letters.position)
            )
            with view.engine.connect() as connection:
                rows = list(connection.execute(query).tuples())
        yield from rows

    def of_day(self, day: date) -> list[Mail]:
        """The day's letters, ready to print, in NEPH order."""
        found = []
        for neph, position, letter_type, ref in self.sent_on(day):
            licence = self.service.licence(neph)
            doc = letter_as_sent(
                licence, self.service.law, self.service.policy, letter_type, ref, day
            )
            doc.index = position  # its place in the licence's list (the letter's page)
            found.append(self.mail(doc))
        return found

    def html(self, mail: Mail, number: int | None = None, of: int | None = None) -> str:
        """The letter as the HTML its PDF prints; `number` of `of` in a day's bundle."""
        from services.documents.qr import qr_data_uri

        verify_page = f"{self.public_url}/verifier"
        return pdf.html_of(
            "lettre.html",
            content=mail.content,
            code=mail.code,
            consultation_code=mail.consultation_code,
            qr=qr_data_uri(f"{verify_page}/{mail.code}"),
            verify_url=verify_page,
            number=number,
            of=of,
        )

    def pdf(self, mail: Mail) -> bytes:
        return pdf.pdf_of(self.html(mail))

    def pdf_of_day(self, mails: list[Mail]) -> bytes:
        """The day's letters as one PDF, each numbered ("pli 3 / 17") and paged on its own."""
        return pdf.pdf_of_many(
            [self.html(m, number, len(mails)) for number, m in enumerate(mails, start=1)]
        )

    def verify(self, code: str) -> LetterCheck:
        """Genuine when one of the letters of the code's kind, NEPH and date, stated again as it
        was sent, has the content the code signs; the same refusal otherwise."""
        try:
            claim = claim_of(code)
        except MalformedCode:
            return LetterCheck(False, None, MALFORMED)
        if not claim.kind.startswith("letter-") or claim.kind == "letters-of-the-day":
            return LetterCheck(False, None, REFUSED)
        letter_type = claim.kind.removeprefix("letter-")
        try:
            licence = self.service.licence(claim.neph)
        except UnknownLicence:
            return LetterCheck(False, None, REFUSED)
        state = licence.state(self.service.law, claim.as_of, known_at=claim.known_at)
        for sent in state.letters:
            if sent.type != letter_type or sent.sent_on != claim.as_of:
                continue
            try:
                doc = letter_as_sent(
                    licence,
                    self.service.law,
                    self.service.policy,
                    sent.type,
                    sent.ref,
                    sent.sent_on,
                )
            except UnknownLetter:
                continue
            content = content_of(doc, self.prefecture)
            if self.signer.matches(code, claim, content_digest(content)):
                return LetterCheck(True, Mail(doc, content, code), "Lettre authentique.")
        return LetterCheck(False, None, REFUSED)
