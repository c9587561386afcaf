"""A kit failure tells the adapter's author which rule broke and how to fix it."""

import pytest
from hypothesis import Phase, settings

from crmcore import RecordKind
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.ports import Versioned
from crmcore.testing.contracts import CustomerRepositoryContract, Factory, UnitOfWorkContract


class ForgetsVersions(InMemoryUnitOfWork):
    """A first adapter's classic mistake: it loads records without their version."""

    def fetch(self, kind: RecordKind, record_id: str) -> Versioned | None:
        found = super().fetch(kind, record_id)
        return None if found is None else (found[0], found[1]._replaced(version=0))


class WritesEarly(InMemoryUnitOfWork):
    """Another: it writes at once instead of in apply(), so others see uncommitted data."""

    def _write(self, key, aggregate, version):  # type: ignore[no-untyped-def]
        stored = super()._write(key, aggregate, version)
        self.store.apply({}, {key: (version, stored)})
        return stored


def factory(kind: type[InMemoryUnitOfWork]) -> Factory:
    store = InMemoryStore()
    return lambda: kind(store)


class BrokenVersions(CustomerRepositoryContract):
    def unit_of_work_factory(self) -> Factory:
        return factory(ForgetsVersions)


# The failure is the point, not its smallest example: shrinking it took 15 s.
BrokenVersions.test_added_aggregates_round_trip = settings(  # type: ignore[method-assign]
    max_examples=5, phases=[Phase.explicit, Phase.generate]
)(BrokenVersions.test_added_aggregates_round_trip)


class BrokenIsolation(UnitOfWorkContract):
    def unit_of_work_factory(self) -> Factory:
        return factory(WritesEarly)


def test_a_missing_version_names_with_version() -> None:
    with pytest.raises(AssertionError, match="with_version"):
        BrokenVersions().test_added_aggregates_round_trip()  # type: ignore[call-arg]


def test_uncommitted_writes_seen_by_others_name_the_rule() -> None:
    with pytest.raises(AssertionError, match="must not see uncommitted writes"):
        BrokenIsolation().test_reads_see_the_blocks_own_writes_and_others_only_after_commit()
