"""Finding licences in the read models: by NEPH or its prefix, the holder's names, birth date, and
filters (status, probation, open obligation, flag, stage centre, département), sorted and paged.

The holder's names are searched through keys written beside them (`name_key`: lower case, accents
and punctuation gone), in columns compared byte by byte (collation "C" on PostgreSQL), so that a
prefix is one range of an index whatever the database's locale: `ops/bench/search.py` measures a
search on a million licences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Engine, and_, func, or_, select
from sqlalchemy.sql.elements import ColumnElement

from projections.schema import rm_licences

PER_PAGE = 50
COUNT_CAP = 10_000  # past this many matches a list says "more than", never counts a million
MAX_QUERY = 200

_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss"})
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_DATE_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_POSTCODE = re.compile(r"\b(\d{5})\b")


def name_key(text: str | None) -> str | None:
    """`"Le Gall-Hervé"` → `"le gall herve"`: what a search compares (accents and case ignored)."""
    if not text:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(_NOT_WORD.split(plain)).strip() or None


def departement(holder: Mapping[str, Any]) -> str | None:
    """The département of the holder's address (from its postcode), None while there is none.

    Holders carry no address yet (`services.journal.Holder`); when one lands, its postcode gives
    the département: 2 digits, 3 overseas (97x, 98x), 2A or 2B in Corsica (20xxx).
    """
    address = holder.get("address")
    postcode = holder.get("postcode")
    if isinstance(address, Mapping):
        postcode = postcode or address.get("postcode")
        address = address.get("line")
    found = _POSTCODE.search(str(postcode or address or ""))
    if not found:
        return None
    code = found.group(1)
    if code.startswith("97") or code.startswith("98"):
        return code[:3]
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    return code[:2]


def standing_columns(view: Mapping[str, Any]) -> dict[str, Any]:
    """The licence's standing flags and open or breached obligations on the view's date, as words
    a filter looks for (`"non_compliance"`, `"open:mandatory_stage"`), None when there are none:
    a filter is then one small partial index, not a join over a million licences."""
    flags = sorted({str(f["kind"]) for f in view.get("flags", [])})
    obligations = sorted(
        {
            f"{o['status']}:{o['kind']}"
            for o in view.get("obligations", [])
            if o["status"] in ("open", "breached")
        }
    )
    return {
        "flags": " ".join(flags) or None,
        "obligations": " ".join(obligations) or None,
    }


def holder_columns(holder: Mapping[str, Any] | None, stage_centre: str | None) -> dict[str, Any]:
    """The searchable columns of `rm_licences` for a licence's holder and its latest stage centre."""
    holder = holder or {}
    born = holder.get("birth_date")
    surname, given = holder.get("surname"), holder.get("given_names")
    return {
        "surname": surname,
        "given_names": given,
        "birth_date": date.fromisoformat(born) if isinstance(born, str) else born,
        "surname_key": name_key(surname),
        "given_names_key": name_key(given),
        "departement": departement(holder),
        "stage_centre": stage_centre,
    }


# --- the query ---------------------------------------------------------------------------------


SORTS: dict[str, tuple[str, ...]] = {
    "nom": ("surname_key", "given_names_key", "neph"),
    "neph": ("neph",),
    "naissance": ("birth_date", "neph"),
    "statut": ("status", "neph"),
    "solde": ("balance", "neph"),
    "delivre": ("issued_on", "neph"),
}
OBLIGATIONS = ("open", "breached", "mandatory_stage", "licence_return")
FLAGS = ("any", "non_compliance", "licence_not_returned", "attestation_overdue")


class SearchError(ValueError):
    """A search that cannot be run as asked (an unknown sort or filter value), with the reason."""


@dataclass(frozen=True)
class Search:
    """What an operator asked: a text `q` and filters; every field optional."""

    q: str = ""
    status: str | None = None
    probationary: bool | None = None
    obligation: str | None = None  # one of OBLIGATIONS
    flag: str | None = None  # one of FLAGS
    centre: str | None = None
    departement: str | None = None
    sort: str = "nom"
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise SearchError(f"tri inconnu : {self.sort!r}")
        if self.obligation is not None and self.obligation not in OBLIGATIONS:
            raise SearchError(f"obligation inconnue : {self.obligation!r}")
        if self.flag is not None and self.flag not in FLAGS:
            raise SearchError(f"signalement inconnu : {self.flag!r}")
        if len(self.q) > MAX_QUERY:
            raise SearchError(f"recherche trop longue ({MAX_QUERY} caractères au plus)")

    def at_page(self, page: int) -> Search:
        return replace(self, page=page)


@dataclass
class Found:
    """One page of results, how many there are (up to COUNT_CAP), and the page's place."""

    search: Search
    rows: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    capped: bool = False  # more than COUNT_CAP matches: `total` is COUNT_CAP
    sort_refused: bool = False  # too many matches to sort but by name or NEPH (their indexes)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.search.per_page))


def _after(prefix: str) -> str:
    """The first string after every string that starts with `prefix` (byte order)."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def _starts(column: Any, prefix: str) -> ColumnElement[bool]:
    """`column` starts with `prefix`, as an index range (the keys hold [a-z0-9 ] only)."""
    return and_(column >= prefix, column < _after(prefix))


def _contains_word(column: Any, word: str) -> ColumnElement[bool]:
    """One of the words of `column` starts with `word` (run on the rows a surname already chose)."""
    return or_(_starts(column, word), column.like(f"% {word}%"))


def _as_date(text: str) -> date | None:
    for pattern, order in ((_DATE_FR, (2, 1, 0)), (_DATE_ISO, (0, 1, 2))):
        found = pattern.match(text)
        if found:
            parts = [int(found.group(i + 1)) for i in order]
            try:
                return date(parts[0], parts[1], parts[2])
            except ValueError:
                raise SearchError(f"{text!r} n'est pas une date") from None
    return None


def _names(words: list[str], born: bool) -> ColumnElement[bool]:
    """The holder whose surname starts with the words, or with some and given names the others.

    A single word is a surname's beginning only: were it also a given name's, the walk of the name
    index in order for a common prefix ("ber", "mar") would read most of the index to fill a page
    (`ops/bench/search.py`). Given names are searched beside a surname or a birth date (`born`:
    the date's index has chosen the rows already).
    """
    surname, given = rm_licences.c.surname_key, rm_licences.c.given_names_key
    phrase = " ".join(words)
    choices = [_starts(surname, phrase)]
    if born:
        choices.append(and_(*[_contains_word(given, word) for word in words]))
    for cut in range(1, len(words)):
        for mine, theirs in ((words[:cut], words[cut:]), (words[cut:], words[:cut])):
            choices.append(
                and_(
                    _starts(surname, " ".join(mine)),
                    *[_contains_word(given, word) for word in theirs],
                )
            )
    return or_(*choices)


def _text(q: str) -> list[ColumnElement[bool]]:
    """The conditions a text asks: a NEPH (prefix), names, a birth date, or names and a date."""
    compact = "".join(q.split())
    if compact.isdigit():
        if len(compact) > 12:
            raise SearchError("un NEPH compte 12 chiffres au plus")
        if len(compact) == 12:
            return [rm_licences.c.neph == compact]
        return [_starts(rm_licences.c.neph, compact)]
    conditions: list[ColumnElement[bool]] = []
    words: list[str] = []
    for token in q.split():
        day = _as_date(token)
        if day is not None:
            conditions.append(rm_licences.c.birth_date == day)
        else:
            words.extend((name_key(token) or "").split())
    if words:
        conditions.append(_names(words, born=bool(conditions)))
    return conditions


def _filters(search: Search) -> list[ColumnElement[bool]]:
    c = rm_licences.c
    conditions = _text(search.q.strip()) if search.q.strip() else []
    if search.status:
        conditions.append(c.status == search.status)
    if search.probationary is not None:
        conditions.append(c.probationary.is_(search.probationary))
    if search.centre:
        conditions.append(c.stage_centre == search.centre)
    if search.departement:
        conditions.append(c.departement == search.departement.upper())
    # `IS NOT NULL` lets the planner take the partial index of the few licences concerned.
    if search.obligation:
        word = {"open": "open:", "breached": "breached:"}.get(
            search.obligation, f"open:{search.obligation}"
        )
        conditions += [c.obligations.is_not(None), c.obligations.like(f"%{word}%")]
    if search.flag:
        conditions.append(c.flags.is_not(None))
        if search.flag != "any":
            conditions.append(c.flags.like(f"%{search.flag}%"))
    return conditions


COLUMNS = (
    "neph",
    "surname",
    "given_names",
    "birth_date",
    "status",
    "balance",
    "ceiling",
    "probationary",
    "issued_on",
    "departement",
    "stage_centre",
)


def search_licences(engine: Engine, search: Search) -> Found:
    """One page of the licences `search` finds, in its order, and their number (capped).

    The count comes first, from the indexes the conditions name. Up to COUNT_CAP matches, they
    are read once and sorted (`MATERIALIZED`: the planner would otherwise walk the name index in
    order and filter, reading half a million rows to find fifty clustered ones). Past it, the page
    is read in the order of an index, so only by name or NEPH.
    """
    conditions = _filters(search)
    matching = select(rm_licences).where(*conditions)
    counted = select(func.count()).select_from(
        select(rm_licences.c.neph).where(*conditions).limit(COUNT_CAP + 1).subquery()
    )
    with engine.connect() as connection:
        total = int(connection.execute(counted).scalar_one())
        found = Found(search, total=min(total, COUNT_CAP), capped=total > COUNT_CAP)
        sort = search.sort
        if found.capped and sort not in ("nom", "neph"):
            sort, found.sort_refused = "nom", True
        found.search = replace(search, page=min(max(1, search.page), found.pages), sort=sort)
        source: Any = rm_licences
        if not found.capped:
            source = matching.cte("found").prefix_with("MATERIALIZED")
        columns = [source.c[name] for name in SORTS[sort]]
        order = [column.desc() for column in columns] if search.descending else columns
        query = select(*[source.c[name] for name in COLUMNS]).order_by(*order)
        if found.capped:
            query = query.where(*conditions)
        offset = (found.search.page - 1) * search.per_page
        rows = connection.execute(query.limit(search.per_page).offset(offset))
        found.rows = [dict(row._mapping) for row in rows]
    return found


def holders(engine: Engine, nephs: list[str]) -> dict[str, dict[str, Any]]:
    """The holder's names and birth date of each of these licences (a page of a list)."""
    if not nephs:
        return {}
    c = rm_licences.c
    query = select(c.neph, c.surname, c.given_names, c.birth_date).where(c.neph.in_(nephs))
    with engine.connect() as connection:
        return {row.neph: dict(row._mapping) for row in connection.execute(query)}
