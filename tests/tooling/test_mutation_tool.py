"""tools/mutation.py leaves out exactly the code a forked mutant could never run."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import mutation  # noqa: E402


def _once(relative: str) -> frozenset[str]:
    text = (ROOT / "src" / "crmcore" / relative).read_text(encoding="utf-8")
    return mutation.once_per_process()[text]


def test_class_body_helpers_and_cached_builders_are_left_out() -> None:
    assert {"identifier", "choice", "text", "checked_field", "_named"} <= _once("domain/fields.py")
    assert {"id_index", "enum_index", "bool_index"} <= _once("domain/kinds.py")
    assert _once("domain/pipeline.py") == {"_preset"}
    kinds = (ROOT / "src" / "crmcore" / "domain" / "kinds.py").read_text(encoding="utf-8")
    skipped = mutation.lines_not_mutated(kinds)
    registry = next(i for i, line in enumerate(kinds.splitlines(), 1) if "def _registry" in line)
    assert registry in skipped  # cached without arguments: built once, before the fork


def test_code_that_runs_when_called_is_mutated() -> None:
    assert {"check_text", "member", "check_bool", "tuple_of"}.isdisjoint(_once("domain/fields.py"))
    assert {"spec_of", "kind_of"}.isdisjoint(_once("domain/kinds.py"))
    assert _once("analytics/concentration.py") == frozenset()
    assert _once("analytics/staffing.py") == frozenset()
