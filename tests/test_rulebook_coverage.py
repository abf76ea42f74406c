"""Every rule id of RULES.md is named by at least one test (DEVELOPERS.md: tests name their rule)."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import REPO

RULES = REPO.parent / "shared" / "law" / "RULES.md"


def rule_ids() -> list[str]:
    return sorted(set(re.findall(r"^- (R-\d+\.\d+)", RULES.read_text(encoding="utf-8"), re.M)))


def named_in_tests() -> set[str]:
    text = "\n".join(p.read_text(encoding="utf-8") for p in Path(REPO / "tests").glob("test_*.py"))
    dotted = set(re.findall(r"R-\d+\.\d+", text))
    underscored = {f"R-{a}.{b}" for a, b in re.findall(r"test_r(\d+)_(\d+)", text)}
    return dotted | underscored


def test_every_rule_of_the_rule_book_is_tested() -> None:
    """R-0 to R-10: a rule nobody tests is a rule nobody checks."""
    assert len(rule_ids()) > 50
    missing = [rule for rule in rule_ids() if rule not in named_in_tests()]
    assert missing == []
