"""`make audit`: every package of uv.lock against the advisory database, with pip-audit (issue 19).

pip-audit asks the package index about each package; where the index cannot answer it only
notes "could not be audited" and exits 0, which would pass silently. So this script reads its
JSON and decides:

- a known vulnerability in a locked package (not listed in ops/audit-ignore.txt with a reason):
  exit 1, naming the package, the advisory and the fixed releases;
- the advisory database unreachable (no package could be audited): a clear "NOT AUDITED" message
  naming why; exit 0, so that a machine without that access (this project's CI machines among
  them) can still test, except with PERMIS_AUDIT_REQUIRED=true, which makes it exit 1;
- some packages audited and others not: those are named, and the run fails when
  PERMIS_AUDIT_REQUIRED=true.

Under CI=true the skip is never silent: the message is printed with the count of packages left
unaudited, and `make test`'s output carries it.

The lock is exported by `uv export` (the UV variable names the uv to use, as the Makefile's).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "ops" / "audit-ignore.txt"
PROBE_TIMEOUT = "10"  # seconds for the first package: an unreachable database is found fast


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "y")


def ignored() -> set[str]:
    """Advisory ids accepted knowingly: one a line, `ID  reason` (the reason is required)."""
    if not IGNORE_FILE.is_file():
        return set()
    ids = set()
    for line in IGNORE_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            ident, _, reason = line.partition(" ")
            if not reason.strip():
                raise SystemExit(f"audit: {IGNORE_FILE.name}: {ident} needs a reason")
            ids.add(ident)
    return ids


def export_lock(uv: str, target: Path) -> list[str]:
    """The lock's packages as pinned requirements (every group, not the project itself)."""
    subprocess.run(
        [
            *(uv, "export", "--frozen", "--no-emit-project", "--all-groups", "--no-hashes"),
            *("--format", "requirements-txt", "--quiet", "-o", str(target)),
        ],
        check=True,
        cwd=ROOT,
    )
    lines = target.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line and not line.startswith((" ", "#"))]


def pip_audit(requirements: Path, timeout: str) -> list[dict[str, Any]]:
    """pip-audit's report on `requirements` (each pinned): one entry a package; [] when it failed
    before reporting (then nothing was audited)."""
    found = subprocess.run(
        [
            *(sys.executable, "-m", "pip_audit", "-r", str(requirements), "--no-deps"),
            *("--disable-pip", "--format", "json", "--progress-spinner", "off"),
            *("--timeout", timeout),
        ],
        capture_output=True,
        text=True,
    )
    try:
        report = json.loads(found.stdout)
    except json.JSONDecodeError:
        return []
    return list(report.get("dependencies", []))


def main() -> int:
    required = _truthy("PERMIS_AUDIT_REQUIRED")
    in_ci = _truthy("CI")
    uv = os.environ.get("UV", "uv")
    with tempfile.TemporaryDirectory() as tmp:
        everything = Path(tmp) / "lock.txt"
        pins = export_lock(uv, everything)
        probe = Path(tmp) / "probe.txt"
        probe.write_text(pins[0] + "\n", encoding="utf-8")
        first = pip_audit(probe, PROBE_TIMEOUT)
        if not first or all("skip_reason" in d for d in first):
            why = str(first[0].get("skip_reason")) if first else "pip-audit gave no report"
            print(
                f"audit: NOT AUDITED: the advisory database cannot be reached ({why}); "
                f"the {len(pins)} packages of uv.lock were not checked"
                + (" (CI=true: reported here, not passed silently)" if in_ci else ""),
                file=sys.stderr,
            )
            return 1 if required else 0
        report = pip_audit(everything, "30")
    accepted = ignored()
    vulnerable = []
    unaudited = []
    for dependency in report:
        if "skip_reason" in dependency:
            unaudited.append(f"{dependency['name']} ({dependency.get('version', '?')})")
            continue
        for vuln in dependency.get("vulns") or []:
            if vuln["id"] in accepted:
                continue
            fixes = ", ".join(vuln.get("fix_versions", [])) or "none yet"
            vulnerable.append(
                f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {fixes})"
            )
    for line in vulnerable:
        print(f"audit: vulnerable: {line}", file=sys.stderr)
    if unaudited:
        print(
            f"audit: NOT AUDITED ({len(unaudited)} of {len(report)}): {', '.join(unaudited)}",
            file=sys.stderr,
        )
    audited = len(report) - len(unaudited)
    print(
        f"audit: {audited} locked package(s) checked, {len(vulnerable)} with a known vulnerability"
    )
    if vulnerable or (unaudited and required):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
