"""The record-kind registry is the one place that says what a kind of record is."""

import ast
from pathlib import Path

import pytest

from crmcore import commands
from crmcore.adapters.memory import InMemoryUnitOfWork
from crmcore.domain.kinds import REGISTRY, RecordKind, kind_of, spec_of
from crmcore.errors import ValidationError
from crmcore.ports import UnitOfWork
from tests.clocks import LATER

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "crmcore"
REGISTRY_MODULE = SRC / "domain" / "kinds.py"

AGGREGATES = {spec.aggregate.__name__ for spec in REGISTRY.values()}
ID_FIELDS = {spec.id_field for spec in REGISTRY.values()}
REPOSITORIES = {spec.repository for spec in REGISTRY.values()}
LABELS = {spec.label for spec in REGISTRY.values()} - {k.value for k in RecordKind}


def _is_kind(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id == "RecordKind"
    )


def _names_a_kind_fact(node: ast.expr | None) -> bool:
    """An aggregate class, an id-field string, a repository name or a label."""
    if isinstance(node, ast.Name):
        return node.id in AGGREGATES
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value in ID_FIELDS | REPOSITORIES | LABELS
    return False


def _restatements(tree: ast.AST) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
            if any(
                (key is not None and (_is_kind(key) or _names_a_kind_fact(key)))
                and _names_a_kind_fact(value)
                for key, value in pairs
            ):
                found.append((node.lineno, "a mapping from kinds to classes, ids or names"))
        if isinstance(node, ast.Assign) or (isinstance(node, ast.AnnAssign) and node.value):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id in {"_id_field", "record_kind"}:
                    found.append((node.lineno, f"a class attribute {target.id}"))
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in ID_FIELDS
        ):
            found.append((node.lineno, "an id field read by name"))
    return found


def test_no_module_restates_the_registry() -> None:
    offenders = []
    for path in sorted(SRC.rglob("*.py")):
        if path == REGISTRY_MODULE:
            continue
        tree = ast.parse(path.read_text(), str(path))
        offenders += [
            f"{path.relative_to(ROOT)}:{line}: {what}" for line, what in _restatements(tree)
        ]
    assert offenders == []


def test_the_scan_finds_a_restatement() -> None:
    """The scan is not vacuous: each shape it looks for is found in a sample."""
    sample = ast.parse(
        "A = {RecordKind.CUSTOMER: Customer}\n"
        "B = {'customers': 'customer_id'}\n"
        "class C:\n    _id_field = 'x'\n"
        "getattr(record, 'complaint_id')\n"
    )
    assert [line for line, _ in _restatements(sample)] == [1, 2, 4, 5]


def test_every_kind_is_registered_once_with_a_repository_on_the_unit_of_work() -> None:
    assert list(REGISTRY) == list(RecordKind)
    uow = InMemoryUnitOfWork(clock=LATER)
    declared = {name for name, value in vars(UnitOfWork).items() if isinstance(value, property)} - {
        "ids",
        "clock",
    }
    assert declared == REPOSITORIES, "the typed declarations on UnitOfWork follow the registry"
    for kind, spec in REGISTRY.items():
        assert kind.spec is spec
        assert spec_of(kind.value) is spec
        assert kind_of(spec.aggregate) is spec
        assert getattr(uow, spec.repository) is uow.repository(kind)
        assert uow.repository(kind).kind is kind
        assert {"owner", "team"} <= set(spec.indexed)


def test_unknown_kinds_and_records_are_refused() -> None:
    with pytest.raises(ValidationError) as caught:
        spec_of("customers")
    assert caught.value.field == "kind"
    with pytest.raises(ValidationError) as caught:
        kind_of(commands.WinOpportunity)
    assert caught.value.field == "record"
    assert repr(REGISTRY).startswith("REGISTRY(customer, opportunity")
    assert len(REGISTRY) == len(RecordKind)
