"""Fuzz: every public entry point, called with arbitrary arguments.

The only exceptions allowed out of crmcore are `CrmError` subclasses whose
message names what was wrong (a `ValidationError` names its field) and
Python's own `TypeError` for a wrong number of arguments or an operand type
an operator does not support (``Money + 1``). Calls are built to match the
signature, so any other `TypeError`, and every `ValueError`, `KeyError`,
`AttributeError`, `decimal.InvalidOperation` ..., fails the test. A call
that runs longer than `HANG_SECONDS` is a hang: crmcore rejects sizes that
would take unbounded time up front (see docs/quality.md).

`make test` runs this at the ``ci`` profile; `make fuzz` at ``deep``.
"""

import enum
import inspect
import operator
import os
import re
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from fractions import Fraction
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crmcore import CrmError, Money, ValidationError
from crmcore.adapters.converters import CrmConverter
from crmcore.cli import main
from tests.fuzz import stats
from tests.fuzz.entry_points import EntryPoint, entry_points, public_methods, public_names
from tests.fuzz.values import anything, argument, seeded_unit_of_work

HANG_SECONDS = 60
# Examples per entry point: the profiles' own counts times 258 entry points would
# not fit `make test`'s budget (about 60 ms an example); `make fuzz` (deep) runs
# ten times as many.
EXAMPLES = {"deep": 50, "ci": 5}.get(os.environ.get("HYPOTHESIS_PROFILE", "dev"), 5)
ENTRY_POINTS = entry_points()


class Hang(Exception):
    """A single call ran for longer than HANG_SECONDS."""


@contextmanager
def watchdog() -> Iterator[None]:
    """Raise `Hang` in a call that does not return (a hang detector, not a timing test)."""

    def alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"a call ran for more than {HANG_SECONDS} s")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, HANG_SECONDS)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def check_error(error: CrmError, names: frozenset[str] | None = None) -> None:
    """A message, and a `ValidationError` names its field: one of ``names`` (the
    call's parameters, or the receiver's attributes), or a path into one
    (``profile.email``, ``values[3]``)."""
    message = str(error)
    assert message.strip(), f"{type(error).__name__} without a message"
    if isinstance(error, ValidationError):
        assert isinstance(error.field, str), error.field
        assert error.field, "a ValidationError must name its field"
        assert message.startswith(f"{error.field}: ")
        if names is not None:
            root = re.split(r"[.\[]", error.field, maxsplit=1)[0]
            assert root in names, f"{error.field!r} is not among {sorted(names)}"


def _attributes(cls: type) -> set[str]:
    if not attrs.has(cls):
        return set()
    return {name for f in attrs.fields(cls) for name in (f.name, f.alias)}


def names_of_call(
    target: Callable[..., Any], args: list[Any], kwargs: dict[str, Any] | None = None
) -> frozenset[str]:
    """What a `ValidationError` from ``target(*args, **kwargs)`` may name: a
    parameter of ``target``, or an attribute of the value it is a method or
    property of; for the converter's ``structure(obj, cl)``, a path in ``obj``,
    whose root is an attribute of ``cl``."""
    if target is getattr:
        return frozenset(_attributes(type(args[0])))
    try:
        names = set(inspect.signature(target).parameters)
    except (TypeError, ValueError):  # pragma: no cover - every entry point has a signature
        names = set()
    receiver = getattr(target, "__self__", None)
    if receiver is not None and not isinstance(receiver, type):
        names |= _attributes(type(receiver))
    if getattr(target, "__name__", "") == "structure" and isinstance(receiver, CrmConverter):
        cl = (kwargs or {}).get("cl", args[1] if len(args) > 1 else None)
        if isinstance(cl, type):
            names |= _attributes(cl)
    if isinstance(target, type):
        names |= _attributes(target)
        if issubclass(target, enum.Enum):
            names.add(target.__name__)  # Channel("fax machine"): "Channel: is not a known value"
    return frozenset(names)


def _units_of_work() -> st.SearchStrategy[Any]:
    seeded = st.builds(seeded_unit_of_work)
    return st.one_of(seeded, seeded, seeded, anything())


def draw_arguments(
    data: st.DataObject, target: Callable[..., Any]
) -> tuple[list[Any], dict[str, Any]]:
    """Arguments that bind to ``target``'s signature, each drawn by its name."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    try:
        parameters = inspect.signature(target).parameters.values()
    except (TypeError, ValueError):  # pragma: no cover - every entry point has a signature
        return args, kwargs
    positional = True
    for parameter in parameters:
        kind = parameter.kind
        if kind is inspect.Parameter.VAR_POSITIONAL:
            if positional:
                args.extend(data.draw(st.lists(anything(), max_size=2), label=parameter.name))
            continue
        if kind is inspect.Parameter.VAR_KEYWORD:
            continue
        if parameter.default is not inspect.Parameter.empty and not data.draw(
            st.booleans(), label=f"pass {parameter.name}"
        ):
            positional = False
            continue
        strategy = _units_of_work() if parameter.name == "uow" else argument(parameter.name)
        value = data.draw(strategy, label=parameter.name)
        if kind is inspect.Parameter.KEYWORD_ONLY or not positional:
            kwargs[parameter.name] = value
        else:
            args.append(value)
    return args, kwargs


def attempt(target: Callable[..., Any], args: list[Any], kwargs: dict[str, Any]) -> Any:
    """Call; a `CrmError` is checked and swallowed; anything else propagates."""
    stats.calls += 1
    try:
        with watchdog():
            return target(*args, **kwargs)
    except CrmError as error:
        stats.errors += 1
        check_error(error, names_of_call(target, args, kwargs))
        return None


def exercise(value: Any, data: st.DataObject) -> None:
    """Show a crmcore result, read its properties, and fuzz one of its methods."""
    repr(value)
    str(value)
    cls = type(value)
    if not cls.__module__.startswith("crmcore") or isinstance(value, type):
        return
    methods = public_methods(cls)
    if not methods:
        return
    name = data.draw(st.sampled_from(methods), label="method of result")
    attribute = inspect.getattr_static(cls, name)
    if isinstance(attribute, property):
        attempt(getattr, [value, name], {})
        return
    method = getattr(value, name)
    args, kwargs = draw_arguments(data, method)
    attempt(method, args, kwargs)


@pytest.mark.parametrize("entry_point", ENTRY_POINTS, ids=str)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_only_crm_errors_escape(entry_point: EntryPoint, data: st.DataObject) -> None:
    stats.examples[entry_point.name] += 1
    target = entry_point.resolve(data)
    if entry_point.enum_lookup:
        args, kwargs = [data.draw(anything(), label="value")], dict[str, Any]()
    else:
        args, kwargs = draw_arguments(data, target)
    result = attempt(target, args, kwargs)
    if not entry_point.builds_result:
        exercise(result, data)


HOSTILE_NUMBERS = [
    Decimal("1E+5000"),
    Decimal("1E-5000"),
    Decimal("-7E-3000000"),
    Decimal("1E+999999"),
    "1e-99999999",
    "1e99999999",
    "1" * 5000,
    10**400,
    -(10**400),
    Fraction(1, 10**5000),
    1e308,
    5e-324,
]
"""Numbers with huge or tiny exponents: each must be refused up front or computed
in bounded time, never reach Python's 4,300-digit str() limit, a float overflow,
or a NaN."""


@pytest.mark.parametrize("entry_point", [p for p in ENTRY_POINTS if not p.enum_lookup], ids=str)
@settings(max_examples=EXAMPLES)
@given(data=st.data())
def test_hostile_numbers_in_any_parameter(entry_point: EntryPoint, data: st.DataObject) -> None:
    target = entry_point.resolve(data)
    args, kwargs = draw_arguments(data, target)
    slots = [*range(len(args)), *kwargs]
    if not slots:
        return
    slot = data.draw(st.sampled_from(slots), label="hostile parameter")
    hostile = data.draw(st.sampled_from(HOSTILE_NUMBERS), label="hostile number")
    if isinstance(slot, int):
        args[slot] = hostile
    else:
        kwargs[slot] = hostile
    # The result is not shown: containers (a Page, an error's arguments) may
    # hold the hostile value itself, which Python's own repr refuses to write.
    attempt(target, args, kwargs)


def test_every_public_name_is_fuzzed() -> None:
    fuzzed = {point.name for point in ENTRY_POINTS}
    missing = []
    for qualified, value in public_names().items():
        if callable(value) and not getattr(value, "_is_protocol", False):
            owners = [name for name in fuzzed if name == qualified]
            same = [
                other
                for other, v in public_names().items()
                if v is value and other in fuzzed and other != qualified
            ]
            if not owners and not same:
                missing.append(qualified)
    assert not missing
    assert len(ENTRY_POINTS) >= 250


def test_a_wrong_number_of_arguments_is_a_type_error() -> None:
    checked = 0
    for point in ENTRY_POINTS:
        if point.enum_lookup or "()." in point.name:
            continue
        target = point.resolve(None)  # type: ignore[arg-type]
        try:
            parameters = inspect.signature(target).parameters.values()
        except (TypeError, ValueError):  # pragma: no cover
            continue
        if any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters):
            continue
        with pytest.raises(TypeError):
            target(*([None] * (len(parameters) + 1)))
        checked += 1
    assert checked > 100


OPERATORS = [
    operator.add,
    operator.sub,
    operator.mul,
    operator.truediv,
    operator.floordiv,
    operator.mod,
    operator.pow,
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
]
REFLECTED = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}


@given(
    money=st.builds(lambda: Money.of("12.50", "EUR")) | anything(),
    other=anything(),
    op=st.sampled_from(OPERATORS),
    swap=st.booleans(),
)
def test_operators_raise_crm_errors_or_unsupported_operand(
    money: Any, other: Any, op: Callable[[Any, Any], Any], swap: bool
) -> None:
    if not isinstance(money, Money):
        money = Money.of("1", "USD")
    left, right = (other, money) if swap else (money, other)
    stats.calls += 1
    try:
        with watchdog():
            result = op(left, right)
    except CrmError as error:
        check_error(error)
    except TypeError as error:
        # Python's own refusal: Money declined the operand (NotImplemented)
        # and so did the other side, whatever wording Python then uses
        # ("unsupported operand", "can only concatenate str", ...).
        name = op.__name__
        method = f"__{REFLECTED.get(name, 'r' + name)}__" if swap else f"__{name}__"
        dunder = getattr(money, method, None)
        if dunder is not None:
            assert dunder(other) is NotImplemented, error
    else:
        repr(result)


@given(
    money=st.builds(lambda: Money.of("-3.25", "VND")),
    op=st.sampled_from([abs, operator.neg, operator.pos, hash, bool, str, repr]),
)
def test_unary_operations_never_raise(money: Money, op: Callable[[Any], Any]) -> None:
    op(money)


COMMANDS = ["tour", "abc", "pareto", "bands", "vendors", "clv", "rfm", "diagram"]
FLAGS = [
    "--id", "--value", "--currency", "--thresholds", "--share", "--chart", "--margin",
    "--retention", "--discount", "--periods", "--timing", "--customer", "--date", "--amount",
    "--as-of", "--format", "--output", "pipeline", "lifecycle", "EUR", "0.9", "-1", "nan",
]  # fmt: skip


@given(
    words=st.lists(st.one_of(st.sampled_from(COMMANDS + FLAGS), st.text(max_size=12)), max_size=10),
    content=st.one_of(st.text(max_size=200), st.binary(max_size=100)),
)
def test_the_command_line_never_shows_a_traceback(
    words: list[str], content: str | bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("cli")
    data = folder / "in.csv"
    if isinstance(content, bytes):
        data.write_bytes(content)
    else:
        data.write_text(content, encoding="utf-8")
    argv = [str(data) if w == "FILE" else w for w in words]
    if argv and argv[0] in {"abc", "pareto", "bands", "vendors", "rfm"}:
        argv.insert(1, str(data))
    argv = [a for a in argv if a not in {"--output", "--chart"}]  # no stray files
    stats.calls += 1
    try:
        with watchdog():
            status = main(argv)
    except SystemExit as exit_:  # --help and --version print and exit 0
        assert exit_.code in (0, None)
        return
    assert status in (0, 2)
