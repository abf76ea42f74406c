"""Charts as inline SVG rendered on the server: no script, printable, readable without colour."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from domain import events as ev
from domain.calendar import add_years
from domain.law import Law
from domain.licence import Licence
from services.web.labels import french_date, plural


@dataclass(frozen=True)
class Point:
    day: date
    balance: int
    ceiling: int


@dataclass(frozen=True)
class Marker:
    day: date
    balance: int
    kind: str  # withdrawal, restoration, stage
    text: str


def balance_history(
    licence: Licence, law: Law, as_of: date, known_at: date | None, years: int = 6
) -> tuple[list[Point], list[Marker]]:
    """Balance and ceiling on each legal date where something happened, over the last `years`
    up to `as_of`, as known at `known_at` (R-9.1)."""
    known = [
        e
        for e in licence.history
        if (known_at is None or e.recorded_on <= known_at) and e.effective_on <= as_of
    ]
    start = max(min((e.effective_on for e in known), default=as_of), add_years(as_of, -years))
    days = sorted({e.effective_on for e in known if e.effective_on > start} | {start, as_of})
    states = {day: licence.state(law, day, known_at) for day in days}
    points = [Point(day, states[day].balance, states[day].ceiling) for day in days]
    markers = []
    for event in known:
        if event.effective_on < start:
            continue
        found = _marker(event, states[event.effective_on].balance)
        if found is not None:
            markers.append(found)
    return points, markers


def _marker(event: ev.LicenceEvent, balance: int) -> Marker | None:
    day = event.effective_on
    if isinstance(event, ev.PointsWithdrawn) and event.points > 0:
        return Marker(
            day,
            balance,
            "withdrawal",
            f"retrait de {plural(event.points, 'point', 'points')} ({event.rule})",
        )
    if isinstance(event, ev.RestorationRevoked) and event.points > 0:
        return Marker(
            day,
            balance,
            "withdrawal",
            f"révocation de {plural(event.points, 'point', 'points')} ({event.rule})",
        )
    if isinstance(event, ev.PointsRestored | ev.YearlyGainCredited | ev.ProbationEnded):
        if event.points > 0:
            return Marker(
                day,
                balance,
                "restoration",
                f"+{plural(event.points, 'point', 'points')} ({event.rule})",
            )
        return None
    if isinstance(event, ev.StageCredited):
        return Marker(
            day, balance, "stage", f"stage {event.stage_id} : +{event.points} ({event.rule})"
        )
    if isinstance(event, ev.StageCreditRefused):
        return Marker(day, balance, "stage", f"stage {event.stage_id} sans point ({event.rule})")
    return None


_W, _H = 760, 260
_LEFT, _RIGHT, _TOP, _BOTTOM = 44, 16, 16, 56
_COLOURS = {"withdrawal": "#c9191e", "restoration": "#18753c", "stage": "#6a3fa0"}


class _Scale:
    def __init__(self, start: date, end: date, top: int) -> None:
        self.start, self.days = start, max(1, (end - start).days)
        self.top = max(1, top)

    def x(self, day: date) -> float:
        return _LEFT + (day - self.start).days / self.days * (_W - _LEFT - _RIGHT)

    def y(self, value: float) -> float:
        return _TOP + (1 - value / self.top) * (_H - _TOP - _BOTTOM)


def _steps(scale: _Scale, values: Sequence[tuple[date, int]], end: date) -> str:
    """A step line: each value holds until the next one's date."""
    first_day, first_value = values[0]
    parts = [f"M{scale.x(first_day):.1f} {scale.y(first_value):.1f}"]
    parts += [f"H{scale.x(day):.1f} V{scale.y(value):.1f}" for day, value in values[1:]]
    parts.append(f"H{scale.x(end):.1f}")
    return " ".join(parts)


def forecast_points(forecast: Mapping[str, Any] | None) -> list[Point]:
    """The balance and ceiling after each day of a forecast (`services.holders.forecast`)."""
    if not forecast:
        return []
    found: dict[date, Point] = {}
    for effect in forecast["effects"]:
        day = date.fromisoformat(effect["due_on"])
        found[day] = Point(day, effect["balance_after"], effect["ceiling_after"])  # the day's last
    return list(found.values())


def balance_svg(
    points: Sequence[Point],
    markers: Sequence[Marker],
    title: str,
    forecast: Sequence[Point] = (),
) -> str:
    """The balance (solid) and the ceiling (dashed) as steps, each marker with its tooltip; then,
    dotted, the forecast: what the tick will record if nothing else happens."""
    if not points:
        return ""
    start, now = points[0].day, points[-1].day
    end = max(now, forecast[-1].day) if forecast else now
    scale = _Scale(start, end, max(12, *(p.ceiling for p in [*points, *forecast])))
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for value in range(0, scale.top + 1, 3):
        y = scale.y(value)
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value}</text>'
        )
    for i in range(6):
        day = date.fromordinal(start.toordinal() + round(i * (end - start).days / 5))
        anchor = "start" if i == 0 else "end" if i == 5 else "middle"
        out.append(
            f'<text x="{scale.x(day):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="{anchor}" '
            f'class="axis">{french_date(day)}</text>'
        )
    out.append(
        f'<path d="{_steps(scale, [(p.day, p.ceiling) for p in points], now)}" class="ceiling"/>'
        f'<path d="{_steps(scale, [(p.day, p.balance) for p in points], now)}" class="balance"/>'
    )
    if forecast:
        out.append(_forecast(scale, points[-1], forecast, end))
    for m in markers:
        x, y = scale.x(m.day), scale.y(m.balance)
        colour = _COLOURS[m.kind]
        shape = {
            "withdrawal": f'<path d="M{x - 6:.1f} {y - 10:.1f} h12 l-6 10 z" fill="{colour}"/>',
            "restoration": f'<path d="M{x - 6:.1f} {y + 10:.1f} h12 l-6 -10 z" fill="{colour}"/>',
            "stage": f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"/>',
        }[m.kind]
        out.append(
            f'<g class="marker {m.kind}"><title>{french_date(m.day)} — {escape(m.text)}</title>'
            f"{shape}</g>"
        )
    legend_y = _H - 14
    out.append(
        f'<g class="legend" transform="translate({_LEFT},{legend_y})">'
        '<path d="M0 -4 h22" class="balance"/><text x="28" y="0">solde</text>'
        '<path d="M80 -4 h22" class="ceiling"/><text x="108" y="0">plafond</text>'
        f'<path d="M176 -10 h12 l-6 10 z" fill="{_COLOURS["withdrawal"]}"/>'
        '<text x="194" y="0">retrait</text>'
        f'<path d="M256 0 h12 l-6 -10 z" fill="{_COLOURS["restoration"]}"/>'
        '<text x="274" y="0">reconstitution</text>'
        f'<circle cx="382" cy="-4" r="5" fill="{_COLOURS["stage"]}"/>'
        '<text x="392" y="0">stage</text>'
        + (
            f'<path d="M440 -4 h22" {_DOTTED}/><text x="468" y="0">prévision</text>'
            if forecast
            else ""
        )
        + "</g></svg>"
    )
    return "".join(out)


# Dotted, in the balance's colour; drawn with attributes, so that any stylesheet keeps it dotted.
_DOTTED = (
    'fill="none" stroke="#000091" stroke-width="2.5" stroke-dasharray="1 5" stroke-linecap="round"'
)
_DOTTED_CEILING = 'fill="none" stroke="#999" stroke-width="1.5" stroke-dasharray="1 4"'


def _forecast(scale: _Scale, now: Point, forecast: Sequence[Point], end: date) -> str:
    """The forecast from today: dotted steps, a mark "aujourd'hui", a tooltip on each effect."""
    x = scale.x(now.day)
    balance = [(now.day, now.balance), *((p.day, p.balance) for p in forecast)]
    ceiling = [(now.day, now.ceiling), *((p.day, p.ceiling) for p in forecast)]
    parts = [
        f'<g class="forecast"><line x1="{x:.1f}" x2="{x:.1f}" y1="{_TOP}" y2="{_H - _BOTTOM}" '
        'stroke="#bbb" stroke-width="1"/>'
        f'<text x="{x + 3:.1f}" y="{_TOP + 10}" class="axis">aujourd\'hui</text>'
        f'<path d="{_steps(scale, ceiling, end)}" {_DOTTED_CEILING}/>'
        f'<path d="{_steps(scale, balance, end)}" {_DOTTED}/>'
    ]
    for p in forecast:
        parts.append(
            f'<circle cx="{scale.x(p.day):.1f}" cy="{scale.y(p.balance):.1f}" r="4" fill="#fff" '
            f'stroke="#000091" stroke-width="1.5"><title>prévu le {french_date(p.day)} — solde '
            f"{p.balance} / {p.ceiling}</title></circle>"
        )
    parts.append("</g>")
    return "".join(parts)


@dataclass(frozen=True)
class Series:
    name: str
    css: str
    values: Sequence[int]


def lines_svg(days: Sequence[date], series: Sequence[Series], title: str) -> str:
    """Counts over time, one polyline per series (the compliance dashboard's trend)."""
    if not days:
        return ""
    top = max([1, *(v for s in series for v in s.values)])
    top = top + (-top % 4) if top > 4 else top
    scale = _Scale(days[0], days[-1], top)
    out = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    step = max(1, top // 4)
    for value in range(0, top + 1, step):
        y = scale.y(value)
        out.append(
            f'<line x1="{_LEFT}" x2="{_W - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" class="axis">{value}</text>'
        )
    last = len(days) - 1
    for i, day in enumerate(days):
        if len(days) <= 7 or i % max(1, len(days) // 6) == 0 or i == last:
            anchor = "start" if i == 0 else "end" if i == last else "middle"
            out.append(
                f'<text x="{scale.x(day):.1f}" y="{_H - _BOTTOM + 16}" text-anchor="{anchor}" '
                f'class="axis">{french_date(day)}</text>'
            )
    for s in series:
        coords = " ".join(
            f"{scale.x(d):.1f},{scale.y(v):.1f}" for d, v in zip(days, s.values, strict=True)
        )
        out.append(f'<polyline points="{coords}" class="{s.css}"/>')
        for d, v in zip(days, s.values, strict=True):
            out.append(
                f'<circle cx="{scale.x(d):.1f}" cy="{scale.y(v):.1f}" r="3" class="{s.css}-dot">'
                f"<title>{french_date(d)} — {escape(s.name)} : {v}</title></circle>"
            )
    x = _LEFT
    out.append(f'<g class="legend" transform="translate(0,{_H - 14})">')
    for s in series:
        out.append(
            f'<path d="M{x} -4 h22" class="{s.css}"/><text x="{x + 28}" y="0">{escape(s.name)}</text>'
        )
        x += 40 + 8 * len(s.name)
    out.append("</g></svg>")
    return "".join(out)
