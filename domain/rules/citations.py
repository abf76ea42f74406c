"""Each rule id of RULES.md and the articles it applies, for the audit trail."""

from __future__ import annotations

ARTICLES: dict[str, str] = {
    "R-0.4": "R223-3 (jours francs)",
    "R-1.2": "L223-1, R223-1 II",
    "R-1.3": "R223-1 II",
    "R-1.4": "R223-1 III",
    "R-1.5": "R223-1 III",
    "R-1.6": "L223-1, R223-1 II, R223-4-1",
    "R-2.1": "L223-1",
    "R-2.2": "L223-1, R223-3; CE 29/09/2023 n° 461479",
    "R-2.4": "L223-2, R223-2",
    "R-2.6": "L223-1",
    "R-3.1": "R223-3, R223-4",
    "R-3.3": "R223-3; CE 17/04/2025 n° 492072",
    "R-4.1": "L223-6 al.3",
    "R-4.2": "L223-6 al.1-2; CE 15/06/2016 n° 393522",
    "R-4.3": "L223-6 al.5",
    "R-4.4": "L223-6; CE 04/12/2017 n° 402423",
    "R-5.1": "CPP 41-1/41-2, CP 131-35-1",
    "R-5.2": "R223-5, R223-8 I",
    "R-5.3": "L223-6 al.4, R223-8 III",
    "R-5.4": "L223-6 al.4",
    "R-5.5": "CE 29/09/2023 n° 461479",
    "R-5.6": "R223-4 I",
    "R-6.1": "R223-4 II-III",
    "R-6.2": "L223-5 III, R223-3",
    "R-6.3": "R223-8 I",
    "R-7.2": "L223-5 II, R224-20, R224-21",
    "R-10.6": "CE 29/09/2023 n° 461479",
    "R-10.16": "L223-5 II, R223-3",
    "R-10.17": "R223-3; CE 29/09/2023 n° 461479",
    "R-11.1": "L223-1, L225-1; CE 22/11/1995 n° 171045",
    "R-11.3": "L223-1, L223-6, R223-3; CE 22/11/1995 n° 171045",
    "R-11.4": "L223-1, L225-1",
    "R-12.1": "L224-1 to L224-8, L224-12; CP 131-6",
    "R-12.4": "L224-1 to L224-8, L224-12",
}


def article_of(rule: str) -> str:
    """The articles a rule applies, or an empty string for a rule without its own article."""
    return ARTICLES.get(rule, "")
