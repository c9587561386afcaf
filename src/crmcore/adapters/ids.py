"""Id generators: random (UUID-based) for production, sequential for tests and tours."""

import threading
import uuid

from crmcore.domain.ids import check_id
from crmcore.errors import ValidationError

PREFIX_RULE = "1 to 64 printable characters without whitespace"


def _check_prefix(prefix: object) -> str:
    check_id(prefix, "prefix")
    assert isinstance(prefix, str)
    if len(prefix) > 64:
        raise ValidationError("prefix", f"is {len(prefix)} characters long", allowed=PREFIX_RULE)
    return prefix


class UuidIds:
    """Ids of the form ``prefix-<32 hex digits>`` from random UUIDs (version 4)."""

    def new_id(self, prefix: str) -> str:
        """A new random id starting with ``prefix``."""
        return f"{_check_prefix(prefix)}-{uuid.uuid4().hex}"


class SequentialIds:
    """Deterministic ids ``prefix-000001``, ``prefix-000002`` ..., counted per prefix.

    Thread-safe. Two generators with the same ``start`` hand out the same
    sequence, which makes runs reproducible.

    Args:
        start: the first number handed out for each prefix (>= 0).
    """

    def __init__(self, start: int = 1) -> None:
        if type(start) is not int or start < 0:
            raise ValidationError("start", "must be an int of 0 or more", allowed="int >= 0")
        self._start = start
        self._counters: dict[str, int] = {}
        self._lock = threading.Lock()

    def new_id(self, prefix: str) -> str:
        """The next id for ``prefix``."""
        _check_prefix(prefix)
        with self._lock:
            number = self._counters.get(prefix, self._start)
            self._counters[prefix] = number + 1
        return f"{prefix}-{number:06d}"

    def __repr__(self) -> str:
        return f"SequentialIds(start={self._start})"
