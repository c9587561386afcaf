"""The exception hierarchy: everything crmcore raises on purpose is a `CrmError`.

Every error carries structured attributes and a message that tells a person
what was wrong and what is accepted. Messages and attributes never carry
personal data (names, e-mail addresses, phone numbers): records are named by
their ids.
"""

from typing import Any


def _restore(cls: type["CrmError"], message: str, state: dict[str, Any]) -> "CrmError":
    error = cls.__new__(cls)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


def _shown(value: object, *, text: bool = False) -> str:
    """``repr(value)`` (``str`` with ``text``) for a message; the type's name where
    Python cannot write it (an int of more than 4,300 digits, a datetime whose
    time zone fails)."""
    try:
        return str(value) if text else repr(value)
    except Exception:  # a caller's value may fail to print in any way
        return f"<{type(value).__name__}>"


class CrmError(Exception):
    """Root of every error crmcore raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message if type(message) is str else _shown(message, text=True))

    @property
    def message(self) -> str:
        """The human-readable message."""
        return str(self.args[0])

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses take keyword arguments, so the default Exception pickling
        # (cls(*args)) cannot rebuild them; rebuild from message and attributes.
        return (_restore, (type(self), self.message, dict(self.__dict__)))


class ValidationError(CrmError, ValueError):
    """An argument is malformed or out of range.

    Attributes:
        field: the argument or attribute that was wrong.
        problem: what was wrong with it.
        allowed: what is accepted, in words (may be ``None``).
        value: the offending value where it is not personal data, else ``None``.
        problems: for validations that report every problem at once, one
            entry per problem.
    """

    def __init__(
        self,
        field: str,
        problem: str,
        *,
        allowed: str | None = None,
        value: object = None,
        problems: tuple[str, ...] = (),
    ) -> None:
        self.field = field
        self.problem = problem
        self.allowed = allowed
        self.value = value
        self.problems = (
            tuple(_shown(p, text=True) for p in problems)
            if isinstance(problems, tuple | list)
            else ()
        )
        message = f"{_shown(field, text=True)}: {_shown(problem, text=True)}"
        if allowed is not None:
            message += f" (accepted: {_shown(allowed, text=True)})"
        if self.problems:
            message += "".join(f"\n  - {p}" for p in self.problems)
        super().__init__(message)


class DomainError(CrmError):
    """A command breaks a business rule."""


class InvalidTransitionError(DomainError):
    """A command is not allowed in the record's current state.

    Attributes:
        current: the current state (phase, stage or step), as text.
        requested: the requested state or command, as text.
        allowed: the states or commands that are allowed from here.
    """

    def __init__(
        self,
        message: str,
        *,
        current: str,
        requested: str,
        allowed: tuple[str, ...] = (),
    ) -> None:
        self.current = current
        self.requested = requested
        self.allowed = allowed
        super().__init__(message)


class CurrencyMismatchError(DomainError, TypeError):
    """Two amounts in different currencies met in one operation.

    Attributes:
        left: the first currency code.
        right: the second currency code.
        operation: what was attempted.
    """

    def __init__(self, left: str, right: str, *, operation: str) -> None:
        self.left = left
        self.right = right
        self.operation = operation
        super().__init__(
            f"cannot {_shown(operation, text=True)} {_shown(left, text=True)} and "
            f"{_shown(right, text=True)}: amounts in different currencies "
            "never mix; convert one of them first or keep the results per currency"
        )


class RepositoryError(CrmError):
    """A storage operation failed."""


class NotFoundError(RepositoryError, LookupError):
    """No record of that kind has that id.

    Attributes:
        kind: the kind of record (``"customer"``, ``"opportunity"`` ...).
        record_id: the id that was looked up.
    """

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(f"no {_shown(kind, text=True)} with id {_shown(record_id)}")


class AlreadyExistsError(RepositoryError):
    """A record of that kind with that id is stored already.

    Attributes:
        kind: the kind of record.
        record_id: the id that is taken.
    """

    def __init__(self, kind: str, record_id: str) -> None:
        self.kind = kind
        self.record_id = record_id
        super().__init__(
            f"a {_shown(kind, text=True)} with id {_shown(record_id)} exists already; "
            "use save() to update it"
        )


class ConcurrencyError(RepositoryError):
    """Someone else changed a record since it was read; nothing was written.

    Attributes:
        kind: the kind of record.
        record_id: the record's id.
        expected: the version the caller read (``None`` if unknown).
        actual: the version stored now (``None`` if the record is gone).
    """

    def __init__(
        self,
        kind: str,
        record_id: str,
        *,
        expected: int | None = None,
        actual: int | None = None,
    ) -> None:
        self.kind = kind
        self.record_id = record_id
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"{_shown(kind, text=True)} {_shown(record_id)} was changed by someone else "
            "since it was read "
            f"(read at version {_shown(expected)}, stored version {_shown(actual)}); "
            "nothing was written: load it again and retry"
        )


class StorageError(RepositoryError):
    """The database failed (unreachable, connection lost, disk full, a
    constraint); a failed commit wrote nothing.

    The message names the operation and the kind of record and the
    driver's error class, never a statement or its parameters (they may
    hold personal data).

    Attributes:
        operation: what was being done (``"read"``, ``"query"``, ``"commit"`` ...).
        kind: the kind of record (or ``"schema"``).
        reason: the driver's error class (and SQLSTATE, when it has one).
    """

    def __init__(self, operation: str, kind: str, reason: str) -> None:
        self.operation = operation
        self.kind = kind
        self.reason = reason
        outcome = "; nothing was written" if operation == "commit" else ""
        super().__init__(
            f"the database failed to {_shown(operation, text=True)} "
            f"({_shown(kind, text=True)}): {_shown(reason, text=True)}{outcome}"
        )


class SchemaError(StorageError):
    """The database's crmcore tables are missing or of another schema
    version; the message says what to do.

    Attributes:
        problem: what is wrong.
        remedy: what to do about it.
    """

    def __init__(self, problem: str, remedy: str) -> None:
        self.problem = problem
        self.remedy = remedy
        CrmError.__init__(self, f"{_shown(problem, text=True)}: {_shown(remedy, text=True)}")
        self.operation = "open"
        self.kind = "schema"
        self.reason = problem


class EngineError(CrmError):
    """An analytics engine (DuckDB, PostgreSQL, Spark) failed a plan's statement.

    The message names the engine, the plan, the statement and the engine's
    error class, never a value (rows may hold personal data).

    Attributes:
        engine: ``"duckdb"``, ``"postgresql"`` or ``"spark"``.
        plan: the plan's class name.
        statement: which of the plan's statements failed (``"probe"``, ``"checks"`` ...).
        reason: the engine's error class.
        overflow: the engine said an exact number overflowed (DuckDB and
            Spark hold 38 DECIMAL digits; PostgreSQL's NUMERIC does not overflow).
    """

    def __init__(
        self, *, engine: str, plan: str, statement: str, reason: str, overflow: bool
    ) -> None:
        self.engine = engine
        self.plan = plan
        self.statement = statement
        self.reason = reason
        self.overflow = overflow
        hint = (
            ": an exact DECIMAL result needs more than the engine's 38 digits "
            "(scale the amounts down, or run on PostgreSQL)"
            if overflow
            else ""
        )
        super().__init__(
            f"{_shown(engine, text=True)} failed the {_shown(statement, text=True)} statement "
            f"of {_shown(plan, text=True)} ({_shown(reason, text=True)}){hint}"
        )


class PermissionDeniedError(CrmError):
    """The access policy does not let this actor do this to this record; nothing changed.

    The message names the actor's user id, the action and the record id, and
    the policy's reason; never personal data.

    Attributes:
        user_id: the acting user's id.
        action: what was attempted (``"read"``, ``"update"``, ``"approve"`` ...).
        record_kind: the kind of record (``"customer"``, ``"opportunity"`` ...).
        record_id: the record's id.
        reason: why it was denied, in words.
    """

    def __init__(
        self, *, user_id: str, action: str, record_kind: str, record_id: str, reason: str
    ) -> None:
        self.user_id = user_id
        self.action = action
        self.record_kind = record_kind
        self.record_id = record_id
        self.reason = reason
        super().__init__(
            f"user {_shown(user_id)} may not {_shown(action, text=True)} "
            f"{_shown(record_kind, text=True)} {_shown(record_id)}: {_shown(reason, text=True)}"
        )


class ModelError(CrmError):
    """A statistical model could not be fitted or evaluated."""


class MissingExtraError(ModelError, ImportError):
    """An optional dependency is not installed; the message says which extra to install.

    Attributes:
        extra: the extra that provides it (``"models"`` ...).
    """

    def __init__(self, message: str, *, extra: str) -> None:
        self.extra = extra
        super().__init__(message)


class ConvergenceError(ModelError):
    """The optimiser did not converge; no parameters were returned.

    Attributes:
        model: the model being fitted.
        detail: what the optimiser reported.
    """

    def __init__(self, model: str, detail: str) -> None:
        self.model = model
        self.detail = detail
        super().__init__(
            f"fitting {_shown(model, text=True)} did not converge ({_shown(detail, text=True)}); "
            "check the data (enough repeat customers, consistent units) before trusting "
            "any parameters"
        )
