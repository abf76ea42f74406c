"""Verification codes: an HMAC over what a document claims and a digest of what it says.

A code carries, in the clear, what is needed to state the document again (its kind, the NEPH, the
legal date and the knowledge date) and 96 bits of HMAC-SHA256 over those fields and the SHA-256 of
the document's canonical content. Checking a code states the document again from the register and
recomputes the HMAC: a code with any field changed, or made without the service's key, or for
content the register never stated, is refused. Nothing is stored when a document is issued; the
same document issued again carries the same code.

Written by hand (a few lines over `hmac`): the well-kept token libraries (itsdangerous, JWT) sign a
payload they carry, where this code must stay short enough to type and to fit a QR code, and sign a
digest of content it does not carry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from infrastructure.users import derived_key

FORMAT = 1  # the first byte: a new layout gets a new number, old codes stay checkable
TAG_BYTES = 12  # 96 bits of HMAC-SHA256
_LAYOUT = (1, 5, 1, 3, 3)  # format, NEPH, kind, as_of, known_at (bytes)
_PAYLOAD_BYTES = sum(_LAYOUT)
CODE_CHARS = (_PAYLOAD_BYTES + TAG_BYTES) * 8 // 5  # 25 bytes: 40 base-32 characters, no padding

# The kinds of documents, numbered once and for ever (a code names its kind by number). The letters
# (48, 48M, 48N, 48SI, 47) and the day's letters have their numbers reserved for their documents.
KINDS: dict[str, int] = {
    "integral": 1,  # relevé intégral (R-8.2, L225-4)
    "restricted": 2,  # relevé restreint (R-8.2, L225-5, L223-7)
    "letter-48": 3,
    "letter-48M": 4,
    "letter-48N": 5,
    "letter-48SI": 6,
    "letter-47": 7,
    "letters-of-the-day": 8,
}
_KIND_NAMES = {number: name for name, number in KINDS.items()}


class MalformedCode(ValueError):
    """Not a verification code at all (length, alphabet, layout): said so, without more."""


@dataclass(frozen=True)
class Claim:
    """What a document says it is: the fields a code carries in the clear."""

    kind: str
    neph: str  # the subject: 12 digits
    as_of: date  # the legal date it states
    known_at: date  # as known at this recording date

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown document kind {self.kind!r}")
        if len(self.neph) != 12 or not self.neph.isascii() or not self.neph.isdigit():
            raise ValueError(f"{self.neph!r} is not a NEPH")

    def payload(self) -> bytes:
        return (
            bytes([FORMAT])
            + int(self.neph).to_bytes(5, "big")
            + bytes([KINDS[self.kind]])
            + self.as_of.toordinal().to_bytes(3, "big")
            + self.known_at.toordinal().to_bytes(3, "big")
        )


def content_digest(content: Any) -> bytes:
    """SHA-256 of the canonical JSON of what a document says (keys sorted, compact, UTF-8)."""
    return hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).digest()


class Signer:
    """Codes keyed with the service's secret, through a key of their own (`derived_key`)."""

    def __init__(self, secret: bytes) -> None:
        self._key = derived_key(secret, "document-verification-code")

    def _tag(self, claim: Claim, digest: bytes) -> bytes:
        return hmac.new(self._key, claim.payload() + digest, hashlib.sha256).digest()[:TAG_BYTES]

    def code(self, claim: Claim, digest: bytes) -> str:
        """The code of a document that claims `claim` and whose content has digest `digest`."""
        raw = base64.b32encode(claim.payload() + self._tag(claim, digest)).decode()
        return "-".join(raw[i : i + 5] for i in range(0, len(raw), 5))

    def matches(self, code: str, claim: Claim, digest: bytes) -> bool:
        """`code` is the one this service gives a document claiming `claim` with that content."""
        raw = _raw(code)
        return hmac.compare_digest(raw[_PAYLOAD_BYTES:], self._tag(claim, digest))


def _raw(code: str) -> bytes:
    text = "".join(code.split()).replace("-", "").upper()
    if len(text) != CODE_CHARS:
        raise MalformedCode(f"a verification code has {CODE_CHARS} characters")
    try:
        raw = base64.b32decode(text)
    except ValueError:
        raise MalformedCode("a verification code uses the letters A-Z and the digits 2-7") from None
    if raw[0] != FORMAT:
        raise MalformedCode("not a verification code of this service")
    return raw


def claim_of(code: str) -> Claim:
    """The claim a code carries in the clear (not yet checked: `Signer.matches` does)."""
    raw = _raw(code)
    neph = int.from_bytes(raw[1:6], "big")
    kind = _KIND_NAMES.get(raw[6])
    try:
        as_of = date.fromordinal(int.from_bytes(raw[7:10], "big"))
        known_at = date.fromordinal(int.from_bytes(raw[10:13], "big"))
    except ValueError:
        raise MalformedCode("not a verification code of this service") from None
    if kind is None or neph >= 10**12:
        raise MalformedCode("not a verification code of this service")
    return Claim(kind, f"{neph:012d}", as_of, known_at)
