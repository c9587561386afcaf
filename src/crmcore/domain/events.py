"""Domain events and the aggregate base they travel on."""

from typing import Any, Self

import attrs
import pendulum

from crmcore.domain.fields import instant


@attrs.frozen(kw_only=True)
class DomainEvent:
    """Something that happened, named in the past tense.

    Attributes:
        occurred_at: when it happened (UTC).
    """

    occurred_at: pendulum.DateTime = instant()


@attrs.frozen(kw_only=True)
class Aggregate:
    """Base of the aggregates: a version and pending events, both outside equality.

    ``version`` belongs to the repository: it sets it on ``add`` and ``save``;
    domain commands never touch it. ``pending_events`` are the events of
    commands not yet committed: the unit of work drains them at commit; they
    are never persisted.
    """

    version: int = attrs.field(default=0, eq=False, repr=False)
    pending_events: tuple[DomainEvent, ...] = attrs.field(default=(), eq=False, repr=False)

    def _replaced(self, **changes: Any) -> Self:
        """A copy with ``changes`` applied.

        Commands build only valid states, so the copy skips ``__init__`` and its
        validation (which guards values built from outside: by hand or when
        deserialised). This keeps commands cheap.
        """
        cls = type(self)
        new = object.__new__(cls)
        for field in attrs.fields(cls):
            name = field.name
            object.__setattr__(new, name, changes[name] if name in changes else getattr(self, name))
        return new

    def _recorded(self, *events: DomainEvent, **changes: Any) -> Self:
        """A copy with ``changes`` applied and ``events`` appended to the pending events."""
        return self._replaced(pending_events=(*self.pending_events, *events), **changes)

    def without_events(self) -> Self:
        """The same aggregate with its pending events drained."""
        return attrs.evolve(self, pending_events=())
