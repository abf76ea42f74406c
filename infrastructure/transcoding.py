"""How the licences' events are written as bytes: the library's JSON format, encoded by orjson.

The stored format is the library's own (`JSONTranscoder`: compact UTF-8 JSON, values JSON does not
know wrapped as `{"_type_": name, "_data_": ...}`), so stores stay readable by the plain library.
Only the encoding is orjson's, several times faster than the standard `json` module on our events
(two dates, a reason, a rule and a hash each); `tests/test_transcoding.py` checks the bytes are the
same. Decoding stays the library's.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import orjson
from eventsourcing.persistence import JSONTranscoder, Transcoding, UUIDAsHex

from domain.events import LicenceEvent

_UUID = UUIDAsHex()
_THROUGH_TRANSCODINGS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


class DateAsISO(Transcoding):
    """Legal dates are `date`, which the library's JSON transcoder does not know."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EventAsDict(Transcoding):
    """Events kept in a licence's history, so that a snapshot holds the whole history."""

    def __init__(self, event_class: type[LicenceEvent]) -> None:
        self.type = event_class
        self.name = event_class.TOPIC

    def encode(self, obj: LicenceEvent) -> dict[str, Any]:
        state = dict(obj.__dict__)
        # orjson writes a UUID as text, not through the transcodings: wrap it as the library would.
        state["originator_id"] = {"_type_": _UUID.name, "_data_": _UUID.encode(obj.originator_id)}
        return state

    def decode(self, data: dict[str, Any]) -> LicenceEvent:
        event: LicenceEvent = object.__new__(self.type)
        event.__dict__.update(data)
        return event


class OrjsonTranscoder(JSONTranscoder):
    """`JSONTranscoder` whose encoding is done by orjson, to the same bytes."""

    def encode(self, obj: Any) -> bytes:
        # Dates, datetimes and dataclasses (events in a snapshot's history) go through the
        # registered transcodings, as with the json module.
        return orjson.dumps(obj, default=self._encode_obj, option=_THROUGH_TRANSCODINGS)
