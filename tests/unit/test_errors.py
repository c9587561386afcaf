import pickle

import pytest

from crmcore.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    CrmError,
    CurrencyMismatchError,
    DomainError,
    InvalidTransitionError,
    NotFoundError,
    RepositoryError,
    ValidationError,
)


@pytest.mark.parametrize(
    ("error", "bases"),
    [
        (ValidationError, (CrmError, ValueError)),
        (DomainError, (CrmError,)),
        (InvalidTransitionError, (DomainError,)),
        (CurrencyMismatchError, (DomainError, TypeError)),
        (RepositoryError, (CrmError,)),
        (NotFoundError, (RepositoryError, LookupError)),
        (AlreadyExistsError, (RepositoryError,)),
        (ConcurrencyError, (RepositoryError,)),
    ],
)
def test_hierarchy_mixes_in_the_builtin_a_caller_expects(
    error: type[Exception], bases: tuple[type[Exception], ...]
) -> None:
    assert all(issubclass(error, base) for base in bases)


def test_validation_error_names_field_problem_and_allowed() -> None:
    error = ValidationError("amount", "must be finite", allowed="a finite Decimal", value="NaN")
    assert (error.field, error.problem, error.allowed, error.value) == (
        "amount",
        "must be finite",
        "a finite Decimal",
        "NaN",
    )
    assert str(error) == "amount: must be finite (accepted: a finite Decimal)"
    assert error.message == str(error)


def test_validation_error_lists_every_problem() -> None:
    error = ValidationError("ratings", "has 2 problems", problems=("a is bad", "b is bad"))
    assert error.problems == ("a is bad", "b is bad")
    assert str(error).splitlines() == ["ratings: has 2 problems", "  - a is bad", "  - b is bad"]


def test_transition_error_carries_states() -> None:
    error = InvalidTransitionError("no", current="LOST", requested="CONTRACT", allowed=("X",))
    assert (error.current, error.requested, error.allowed) == ("LOST", "CONTRACT", ("X",))


def test_currency_mismatch_names_both_currencies() -> None:
    error = CurrencyMismatchError("EUR", "USD", operation="add")
    assert (error.left, error.right, error.operation) == ("EUR", "USD", "add")
    assert "cannot add EUR and USD" in str(error)


def test_repository_errors_name_kind_and_id() -> None:
    assert str(NotFoundError("customer", "c-1")) == "no customer with id 'c-1'"
    assert AlreadyExistsError("customer", "c-1").record_id == "c-1"
    conflict = ConcurrencyError("customer", "c-1", expected=1, actual=2)
    assert (conflict.kind, conflict.expected, conflict.actual) == ("customer", 1, 2)
    assert "read at version 1, stored version 2" in str(conflict)


@pytest.mark.parametrize(
    "error",
    [
        ValidationError("f", "bad", allowed="good", problems=("p",)),
        InvalidTransitionError("m", current="a", requested="b", allowed=("c",)),
        CurrencyMismatchError("EUR", "USD", operation="add"),
        NotFoundError("customer", "c-1"),
        AlreadyExistsError("customer", "c-1"),
        ConcurrencyError("customer", "c-1", expected=1, actual=None),
        CrmError("plain"),
    ],
)
def test_errors_survive_pickling(error: CrmError) -> None:
    # Errors cross process boundaries (multiprocessing workers, task queues).
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


def test_messages_survive_values_python_cannot_write() -> None:
    from fractions import Fraction

    from crmcore.errors import NotFoundError, PermissionDeniedError

    huge = Fraction(1, 10**5000)  # repr and str refuse ints of more than 4,300 digits
    assert str(NotFoundError(huge, huge)) == "no <Fraction> with id <Fraction>"  # type: ignore[arg-type]
    denied = PermissionDeniedError(
        user_id=huge,  # type: ignore[arg-type]
        action="read",
        record_kind="customer",
        record_id="c1",
        reason="outside the team",
    )
    assert str(denied).startswith("user <Fraction> may not read customer 'c1'")


class _Unprintable:
    """A value whose str and repr fail (a datetime whose time zone fails prints so)."""

    def __str__(self) -> str:
        raise RuntimeError("cannot print")

    __repr__ = __str__


def test_every_error_survives_arguments_that_cannot_be_printed() -> None:
    from crmcore.errors import ConvergenceError, SchemaError, StorageError

    odd: object = _Unprintable()
    built: list[CrmError] = [
        CrmError(odd),  # type: ignore[arg-type]
        ValidationError(odd, odd, allowed=odd, problems=(odd,)),  # type: ignore[arg-type]
        CurrencyMismatchError(odd, odd, operation=odd),  # type: ignore[arg-type]
        ConcurrencyError(odd, odd, expected=odd, actual=odd),  # type: ignore[arg-type]
        ConvergenceError(odd, odd),  # type: ignore[arg-type]
        StorageError(odd, odd, odd),  # type: ignore[arg-type]
        SchemaError(odd, odd),  # type: ignore[arg-type]
    ]
    for error in built:
        assert "<_Unprintable>" in str(error)
    assert str(built[0]) == "<_Unprintable>"
    assert str(built[1]) == (
        "<_Unprintable>: <_Unprintable> (accepted: <_Unprintable>)\n  - <_Unprintable>"
    )
