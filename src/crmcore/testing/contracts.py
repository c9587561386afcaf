"""The repository and unit-of-work contract kit (public API).

Any storage adapter must pass it; the in-memory store's own tests are
subclasses of it. To check your adapter, subclass each contract (with a name
pytest collects, such as ``TestMyCustomers``) and implement
``unit_of_work_factory``: it returns a function that makes units of work on
one fresh, empty store, so that several of them can share it::

    class TestMyCustomers(CustomerRepositoryContract):
        def unit_of_work_factory(self):
            store = MyStore.empty()
            return lambda: MyUnitOfWork(store)

The base classes have no ``Test`` prefix, so pytest collects only your
subclasses. Each rule is one small Hypothesis test.
"""

# ruff: noqa: E402 (the extra is checked before the third-party imports)
from crmcore.testing._extra import require

require("hypothesis", "pytest", what="crmcore.testing.contracts")

import abc
import functools
from collections.abc import Callable
from typing import Any, ClassVar, Generic, TypeVar

import pendulum
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from crmcore.domain.campaigns import Campaign
from crmcore.domain.commissions import CommissionPlanRecord
from crmcore.domain.complaints import Complaint
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.customers import Customer, LifecyclePhase
from crmcore.domain.events import Aggregate, DomainEvent
from crmcore.domain.kinds import REGISTRY, RecordKind
from crmcore.domain.money import Money
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.pipeline import DEFAULT_PIPELINE, HUBSPOT_PIPELINE
from crmcore.domain.quotas import Quota
from crmcore.domain.territories import Territory
from crmcore.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    CrmError,
    NotFoundError,
    ValidationError,
)
from crmcore.ports import Repository, UnitOfWork
from crmcore.testing import strategies

__all__ = [
    "ComplaintRepositoryContract",
    "ContractRepositoryContract",
    "CustomerRepositoryContract",
    "Factory",
    "OpportunityRepositoryContract",
    "RepositoryContract",
    "ServiceContractRepositoryContract",
    "UnitOfWorkContract",
    "repository_state_machine",
]

A = TypeVar("A", bound=Aggregate)
Factory = Callable[[], UnitOfWork]
"""Makes units of work that share one store."""


def _id(kind: RecordKind, aggregate: Aggregate) -> str:
    return REGISTRY[kind].record_id(aggregate)


def _repo(uow: UnitOfWork, kind: RecordKind) -> Repository[Any]:
    repository: Repository[Any] = getattr(uow, REGISTRY[kind].repository)
    return repository


_MARKER = DomainEvent(occurred_at=pendulum.datetime(2000, 1, 1, tz="UTC"))


class RepositoryContract(abc.ABC, Generic[A]):
    """The rules every repository follows, one Hypothesis test per rule.

    Subclasses name the kind of record (``kind``), give a strategy for its
    aggregates (``aggregates``), and check the kind's convenience queries
    (``check_queries``). The rules of ``select`` (filters on every indexed
    field, ordering, limits, cursors, read-your-writes) are checked for every
    kind from the registry.
    """

    kind: ClassVar[RecordKind]
    max_examples: ClassVar[int | None] = None
    """Examples per rule; ``None`` keeps the active Hypothesis profile's number."""

    @abc.abstractmethod
    def unit_of_work_factory(self) -> Factory:
        """A function making units of work that share one fresh, empty store."""

    @abc.abstractmethod
    def aggregates(self) -> st.SearchStrategy[A]:
        """Valid aggregates of this repository's kind."""

    @abc.abstractmethod
    def check_queries(self, repository: Any, stored: list[A]) -> None:
        """Assert that each query of the repository returns exactly the
        matching ``stored`` aggregates, ordered by id."""

    @functools.cached_property
    def _many(self) -> st.SearchStrategy[list[A]]:
        # Built once per test, not once per example: Hypothesis checks each new
        # strategy before its first draw.
        return st.lists(
            self.aggregates(),
            min_size=1,
            max_size=5,
            unique_by=lambda a: _id(self.kind, a),
        )

    def _stored(self, factory: Factory, aggregates: list[A]) -> None:
        with factory() as uow:
            for aggregate in aggregates:
                _repo(uow, self.kind).add(aggregate)
            uow.commit()

    def _case(self, data: st.DataObject) -> tuple[Factory, list[A]]:
        return self.unit_of_work_factory(), data.draw(self._many)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Each subclass gets its own @given wrappers: Hypothesis refuses to run
        # one decorated test from instances of different classes.
        super().__init_subclass__(**kwargs)
        for name, function in vars(RepositoryContract).items():
            if name.startswith("test_"):
                test = given(data=st.data())(function)
                if cls.max_examples is not None:
                    test = settings(max_examples=cls.max_examples)(test)
                setattr(cls, name, test)

    def test_added_aggregates_round_trip(self, data: st.DataObject) -> None:
        """What is added and committed comes back equal, at version 1, without events."""
        factory, aggregates = self._case(data)
        self._stored(factory, aggregates)
        with factory() as uow:
            for aggregate in aggregates:
                loaded = _repo(uow, self.kind).get(_id(self.kind, aggregate))
                assert loaded == aggregate, (
                    "get() must return what add() stored, equal field by field: check "
                    "that every field is written and read back (use a converter's "
                    "unstructure/structure, or store every attribute)"
                )
                assert loaded.version == 1, (
                    "a loaded aggregate must carry its stored version (1 after the first "
                    "add): build it with crmcore.adapters.tracking.with_version(aggregate, "
                    "version) from the version your store keeps"
                )
                assert loaded.pending_events == (), (
                    "a loaded aggregate has no pending events: do not store them, or "
                    "drop them when loading (aggregate.without_events())"
                )

    def test_duplicate_add_is_rejected(self, data: st.DataObject) -> None:
        """Adding an id that is taken raises AlreadyExistsError, in the block and later."""
        factory, aggregates = self._case(data)
        first = aggregates[0]
        with factory() as uow:
            repository = _repo(uow, self.kind)
            repository.add(first)
            with pytest.raises(AlreadyExistsError):
                repository.add(first)
            uow.commit()
        with factory() as uow, pytest.raises(AlreadyExistsError):
            _repo(uow, self.kind).add(first)

    def test_missing_ids_are_not_found(self, data: st.DataObject) -> None:
        """get, save and remove of an unknown id raise NotFoundError; ``in`` is False."""
        factory, aggregates = self._case(data)
        missing = aggregates[0]
        record_id = _id(self.kind, missing)
        with factory() as uow:
            repository = _repo(uow, self.kind)
            assert record_id not in repository, (
                "`id in repository` must be False for an id never added: fetch must "
                "return None for an unknown id"
            )
            for attempt in (
                lambda: repository.get(record_id),
                lambda: repository.save(missing),
                lambda: repository.remove(record_id),
            ):
                with pytest.raises(NotFoundError) as error:
                    attempt()
                assert error.value.record_id == record_id, (
                    "NotFoundError must name the id that was asked for"
                )

    def test_stale_save_is_rejected_and_changes_nothing(self, data: st.DataObject) -> None:
        """Saving a copy loaded before someone else's save raises ConcurrencyError."""
        factory, aggregates = self._case(data)
        first = aggregates[0]
        record_id = _id(self.kind, first)
        self._stored(factory, [first])
        slow = factory()
        with slow:
            stale = _repo(slow, self.kind).get(record_id)
            with factory() as fast:
                fresh = _repo(fast, self.kind).get(record_id)
                saved = _repo(fast, self.kind).save(fresh)
                assert saved.version == 2, "save() must return the aggregate at the next version"
                fast.commit()
            with pytest.raises(ConcurrencyError) as error:
                _repo(slow, self.kind).save(stale)
            assert (error.value.expected, error.value.actual) == (1, 2), (
                "ConcurrencyError must say the version the save expected (the loaded one) "
                "and the version found in the store"
            )
        with factory() as uow:
            assert _repo(uow, self.kind).get(record_id).version == 2, (
                "a rejected stale save must change nothing: apply() checks every "
                "version before writing any row (compare-and-set in one transaction)"
            )

    def test_save_increments_the_version(self, data: st.DataObject) -> None:
        """Each save stores the next version; keep working with what save returns."""
        factory, aggregates = self._case(data)
        first = aggregates[0]
        self._stored(factory, [first])
        with factory() as uow:
            repository = _repo(uow, self.kind)
            current = repository.get(_id(self.kind, first))
            for expected in (2, 3):
                current = repository.save(current)
                assert current.version == expected, (
                    "each save() returns the next version; keep working with what it returns"
                )
            uow.commit()
        with factory() as uow:
            assert _repo(uow, self.kind).get(_id(self.kind, first)).version == 3, (
                "several saves in one block must store the last version on commit"
            )

    def test_removed_aggregates_are_gone(self, data: st.DataObject) -> None:
        """After remove and commit, the id is not found and not listed."""
        factory, aggregates = self._case(data)
        self._stored(factory, aggregates)
        gone = _id(self.kind, aggregates[0])
        with factory() as uow:
            _repo(uow, self.kind).remove(gone)
            uow.commit()
        with factory() as uow:
            repository = _repo(uow, self.kind)
            assert gone not in repository, "a removed and committed id must be gone"
            assert gone not in [_id(self.kind, a) for a in repository.list()], (
                "a removed id must not be listed: delete the row, not just mark it"
            )
            with pytest.raises(NotFoundError):
                repository.get(gone)

    def test_queries_are_ordered_and_complete(self, data: st.DataObject) -> None:
        """list() returns everything ordered by id; each query exactly its matches."""
        factory, aggregates = self._case(data)
        self._stored(factory, aggregates)
        with factory() as uow:
            repository = _repo(uow, self.kind)
            listed = repository.list()
            expected = sorted(aggregates, key=lambda a: _id(self.kind, a))
            assert [_id(self.kind, a) for a in listed] == [_id(self.kind, a) for a in expected], (
                "list() must return every stored record once, ordered by id (ORDER BY id)"
            )
            assert list(listed) == expected, "listed records must equal what was stored"
            self.check_queries(repository, expected)

    def test_pending_events_are_not_persisted(self, data: st.DataObject) -> None:
        """Stored aggregates come back without pending events."""
        factory, aggregates = self._case(data)
        with_event = aggregates[0]._replaced(pending_events=(_MARKER,))
        self._stored(factory, [with_event])
        with factory() as uow:
            loaded = _repo(uow, self.kind).get(_id(self.kind, with_event))
            assert loaded.pending_events == (), (
                "pending events must not be persisted: store the aggregate without them"
            )
            assert loaded == with_event, "apart from its events, the record must round-trip"

    def test_select_equals_a_filter_of_the_listing(self, data: st.DataObject) -> None:
        """select(where, limit, after) gives exactly the records whose indexed
        fields match, with ids above ``after``, ordered by id, at most ``limit``;
        paging with the last id as cursor gives each record once."""
        factory, aggregates = self._case(data)
        self._stored(factory, aggregates)
        spec = REGISTRY[self.kind]
        with factory() as uow:
            listed = list(_repo(uow, self.kind).list())
            where = data.draw(_wheres(spec, listed), label="where")
            checked = spec.check_where(where)
            ids = [_id(self.kind, a) for a in listed]
            after = data.draw(st.none() | st.sampled_from([*ids, "0", "~"]), label="after")
            limit = data.draw(st.none() | st.integers(1, 4), label="limit")
            matching = [a for a in listed if spec.matches(a, checked)]
            expected = [a for a in matching if after is None or _id(self.kind, a) > after]
            got = uow.select(self.kind, where, limit=limit, after=after)
            assert list(got) == expected[:limit], "select must equal a filter of list()"
            assert list(_repo(uow, self.kind).select(where, limit=limit, after=after)) == list(
                got
            ), "repository.select must answer as uow.select does"
            pages: list[Any] = []
            cursor = None
            while True:
                page = uow.select(self.kind, where, limit=2, after=cursor)
                pages.extend(page)
                if len(page) < 2:
                    break
                cursor = _id(self.kind, page[-1])
            assert pages == matching, "paging by the last id must give every match once"

    def test_select_sees_the_blocks_own_writes(self, data: st.DataObject) -> None:
        """Inside a block, select merges what the block added, saved and removed."""
        factory, aggregates = self._case(data)
        *stored, fresh = aggregates
        self._stored(factory, stored)
        spec = REGISTRY[self.kind]
        with factory() as uow:
            repository = _repo(uow, self.kind)
            state = {_id(self.kind, a): a for a in stored}
            remove_one: bool = data.draw(st.booleans(), label="remove one")
            if stored and remove_one:
                gone = _id(self.kind, stored[0])
                repository.remove(gone)
                del state[gone]
            added = repository.add(fresh)
            state[_id(self.kind, added)] = added
            expected_all = [state[k] for k in sorted(state)]
            where = data.draw(_wheres(spec, expected_all), label="where")
            limit = data.draw(st.none() | st.integers(1, 3), label="limit")
            checked = spec.check_where(where)
            expected = [a for a in expected_all if spec.matches(a, checked)][:limit]
            assert list(uow.select(self.kind, where, limit=limit)) == expected, (
                "select must see the block's own writes (read-your-writes)"
            )


@st.composite
def _wheres(draw: st.DrawFn, spec: Any, records: list[Any]) -> dict[str, object]:
    """Filters on a few of the kind's indexed fields, with values the records hold
    (so that some match), sometimes as a membership set (perhaps empty)."""
    where: dict[str, object] = {}
    names = draw(st.lists(st.sampled_from(sorted(spec.indexed)), unique=True, max_size=2))
    for name in names:
        field = spec.indexed[name]
        pool = sorted({field.read(r) for r in records}, key=repr)
        if field.type == "bool":
            pool = [False, True]
        if draw(st.booleans()):
            where[name] = draw(st.sampled_from(pool))
        else:
            where[name] = draw(st.lists(st.sampled_from(pool), unique=True, max_size=2))
    return where


def _expect(got: tuple[Any, ...], expected: list[Any]) -> None:
    assert list(got) == expected, (
        "the query must return exactly the matching records, ordered by id: check the "
        "indexed columns your store filters on (crmcore.domain.kinds.REGISTRY)"
    )


class CustomerRepositoryContract(RepositoryContract[Customer]):
    """The contract for a customer repository (``uow.customers``)."""

    kind = RecordKind.CUSTOMER

    def aggregates(self) -> st.SearchStrategy[Customer]:
        """Generated customers in every phase."""
        return strategies.customers(max_commands=6)

    def check_queries(self, repository: Any, stored: list[Customer]) -> None:
        """``in_phase`` for every phase."""
        for phase in LifecyclePhase:
            _expect(repository.in_phase(phase), [c for c in stored if c.phase is phase])


class OpportunityRepositoryContract(RepositoryContract[Opportunity]):
    """The contract for an opportunity repository (``uow.opportunities``)."""

    kind = RecordKind.OPPORTUNITY

    def aggregates(self) -> st.SearchStrategy[Opportunity]:
        """Generated opportunities, open and closed, on a few customers."""
        presets = st.sampled_from([DEFAULT_PIPELINE, HUBSPOT_PIPELINE])
        return presets.flatmap(lambda p: strategies.opportunities(pipeline=p, max_commands=5)).map(
            lambda o: o._replaced(customer_id=f"cust-{len(o.opportunity_id) % 3}")
        )

    def check_queries(self, repository: Any, stored: list[Opportunity]) -> None:
        """``for_customer``, ``open`` and ``closed``."""
        for customer_id in {o.customer_id for o in stored} | {"cust-none"}:
            _expect(
                repository.for_customer(customer_id),
                [o for o in stored if o.customer_id == customer_id],
            )
        _expect(repository.open(), [o for o in stored if o.is_open])
        _expect(repository.closed(), [o for o in stored if not o.is_open])


class ContractRepositoryContract(RepositoryContract[Contract]):
    """The contract for a contract repository (``uow.contracts``)."""

    kind = RecordKind.CONTRACT

    def aggregates(self) -> st.SearchStrategy[Contract]:
        """Generated contracts: open, fulfilled and cancelled."""
        return strategies.contracts().map(
            lambda c: c._replaced(customer_id=f"cust-{len(c.contract_id) % 3}")
        )

    def check_queries(self, repository: Any, stored: list[Contract]) -> None:
        """``for_customer`` and ``open``."""
        for customer_id in {c.customer_id for c in stored} | {"cust-none"}:
            _expect(
                repository.for_customer(customer_id),
                [c for c in stored if c.customer_id == customer_id],
            )
        _expect(repository.open(), [c for c in stored if c.is_open])


class ServiceContractRepositoryContract(RepositoryContract[ServiceContract]):
    """The contract for a service-contract repository (``uow.service_contracts``)."""

    kind = RecordKind.SERVICE_CONTRACT

    def aggregates(self) -> st.SearchStrategy[ServiceContract]:
        """Generated service contracts."""
        return strategies.service_contracts().map(
            lambda c: c._replaced(customer_id=f"cust-{len(c.contract_id) % 3}")
        )

    def check_queries(self, repository: Any, stored: list[ServiceContract]) -> None:
        """``for_customer``."""
        for customer_id in {c.customer_id for c in stored} | {"cust-none"}:
            _expect(
                repository.for_customer(customer_id),
                [c for c in stored if c.customer_id == customer_id],
            )


class ComplaintRepositoryContract(RepositoryContract[Complaint]):
    """The contract for a complaint repository (``uow.complaints``)."""

    kind = RecordKind.COMPLAINT

    def aggregates(self) -> st.SearchStrategy[Complaint]:
        """Generated complaints at every step."""
        return strategies.complaints().map(
            lambda c: c._replaced(customer_id=f"cust-{len(c.complaint_id) % 3}")
        )

    def check_queries(self, repository: Any, stored: list[Complaint]) -> None:
        """``for_customer`` and ``open``."""
        for customer_id in {c.customer_id for c in stored} | {"cust-none"}:
            _expect(
                repository.for_customer(customer_id),
                [c for c in stored if c.customer_id == customer_id],
            )
        _expect(repository.open(), [c for c in stored if not c.is_closed])


class CampaignRepositoryContract(RepositoryContract[Campaign]):
    """The contract for a campaign repository (``uow.campaigns``)."""

    kind = RecordKind.CAMPAIGN

    def aggregates(self) -> st.SearchStrategy[Campaign]:
        """Generated campaigns in every status, with members."""
        return strategies.campaigns(max_members=3, max_commands=6)

    def check_queries(self, repository: Any, stored: list[Campaign]) -> None:
        """Campaigns have no convenience queries beyond ``select``."""


class TerritoryRepositoryContract(RepositoryContract[Territory]):
    """The contract for a territory repository (``uow.territories``)."""

    kind = RecordKind.TERRITORY

    def aggregates(self) -> st.SearchStrategy[Territory]:
        """Generated territories, roots and children, with rules."""
        return strategies.territory_records()

    def check_queries(self, repository: Any, stored: list[Territory]) -> None:
        """Territories have no convenience queries beyond ``select``."""


class QuotaRepositoryContract(RepositoryContract[Quota]):
    """The contract for a quota repository (``uow.quotas``)."""

    kind = RecordKind.QUOTA

    def aggregates(self) -> st.SearchStrategy[Quota]:
        """Generated quotas for users, teams and territories."""
        return strategies.quotas()

    def check_queries(self, repository: Any, stored: list[Quota]) -> None:
        """Quotas have no convenience queries beyond ``select``."""


class CommissionPlanRepositoryContract(RepositoryContract[CommissionPlanRecord]):
    """The contract for a commission-plan repository (``uow.commission_plans``)."""

    kind = RecordKind.COMMISSION_PLAN

    def aggregates(self) -> st.SearchStrategy[CommissionPlanRecord]:
        """Generated commission plans."""
        return strategies.commission_plan_records()

    def check_queries(self, repository: Any, stored: list[CommissionPlanRecord]) -> None:
        """Commission plans have no convenience queries beyond ``select``."""


# A model-based test: the repository beside a dict ---------------------------------


def repository_state_machine(
    factory: Callable[[], Factory],
    kind: RecordKind,
    aggregates: st.SearchStrategy[Any],
) -> type[RuleBasedStateMachine]:
    """A state machine that drives a repository beside a plain dict.

    Every rule runs in its own unit of work and commits, so the machine
    checks what is durable. Use it as ``TestX = repository_state_machine(...).TestCase``.

    Args:
        factory: makes a unit-of-work factory on a fresh, empty store (called
            once per run).
        kind: the kind of record (`RecordKind`).
        aggregates: the strategy for the repository's aggregates.
    """

    class RepositoryMachine(RuleBasedStateMachine):
        stored = Bundle("stored")

        def __init__(self) -> None:
            super().__init__()
            self.make = factory()
            self.model: dict[str, tuple[int, Any]] = {}
            self.known: dict[str, Any] = {}

        def _id(self, aggregate: Any) -> str:
            return _id(kind, aggregate)

        @rule(target=stored, aggregate=aggregates)
        def add(self, aggregate: Any) -> str:
            return self._add(aggregate)

        @rule(record_id=stored)
        def add_again(self, record_id: str) -> None:
            """Add an id that is stored (refused) or was removed (accepted)."""
            self._add(self.known[record_id])

        def _add(self, aggregate: Any) -> str:
            record_id = self._id(aggregate)
            self.known[record_id] = aggregate
            with self.make() as uow:
                repository = _repo(uow, kind)
                if record_id in self.model:
                    with pytest.raises(AlreadyExistsError):
                        repository.add(aggregate)
                    return record_id
                repository.add(aggregate)
                uow.commit()
            self.model[record_id] = (1, aggregate)
            return record_id

        @rule(record_id=stored)
        def get(self, record_id: str) -> None:
            with self.make() as uow:
                repository = _repo(uow, kind)
                if record_id in self.model:
                    version, expected = self.model[record_id]
                    loaded = repository.get(record_id)
                    assert (loaded, loaded.version) == (expected, version), (
                        "get() must return the last committed state at its stored version"
                    )
                else:
                    with pytest.raises(NotFoundError):
                        repository.get(record_id)

        @rule(record_id=stored, stale=st.booleans())
        def save(self, record_id: str, stale: bool) -> None:
            if record_id not in self.model:
                return
            version, aggregate = self.model[record_id]
            with self.make() as uow:
                repository = _repo(uow, kind)
                loaded = repository.get(record_id)
                if stale:
                    with pytest.raises(ConcurrencyError):
                        repository.save(loaded._replaced(version=version - 1))
                    return
                repository.save(loaded)
                uow.commit()
            self.model[record_id] = (version + 1, aggregate)

        @rule(record_id=stored)
        def remove(self, record_id: str) -> None:
            with self.make() as uow:
                repository = _repo(uow, kind)
                if record_id in self.model:
                    repository.remove(record_id)
                    uow.commit()
                    del self.model[record_id]
                else:
                    with pytest.raises(NotFoundError):
                        repository.remove(record_id)

        @invariant()
        def listing_matches_the_model(self) -> None:
            with self.make() as uow:
                listed = _repo(uow, kind).list()
            assert [(self._id(a), a.version) for a in listed] == [
                (k, v) for k, (v, _) in sorted(self.model.items())
            ], "list() must give every committed record once, ordered by id, at its version"

    RepositoryMachine.__name__ = f"{kind.name.title().replace('_', '')}RepositoryMachine"
    return RepositoryMachine


# The unit of work ----------------------------------------------------------------------

_T0 = pendulum.datetime(2030, 1, 1, tz="UTC")


def _customer(number: int) -> Customer:
    return Customer.prospect(customer_id=f"cust-{number}", name=f"Customer {number}", at=_T0)


def _opportunity(number: int, customer: int) -> Opportunity:
    return Opportunity.open(
        opportunity_id=f"opp-{number}",
        customer_id=f"cust-{customer}",
        title="Deal",
        amount=Money.of("100", "EUR"),
        at=_T0,
    )


class UnitOfWorkContract(abc.ABC):
    """The rules every unit of work follows (`crmcore.ports.UnitOfWork`)."""

    @abc.abstractmethod
    def unit_of_work_factory(self) -> Factory:
        """A function making units of work that share one fresh, empty store."""

    def test_reads_see_the_blocks_own_writes_and_others_only_after_commit(self) -> None:
        make = self.unit_of_work_factory()
        with make() as writer:
            writer.customers.add(_customer(1))
            assert writer.customers.get("cust-1") == _customer(1), (
                "a block must read its own writes before commit"
            )
            assert "cust-1" in writer.customers, "`in` must see the block's own adds"
            with make() as reader:
                assert "cust-1" not in reader.customers, (
                    "another block must not see uncommitted writes: write only in apply()"
                )
            writer.commit()
            with make() as reader:
                assert reader.customers.get("cust-1") == _customer(1), (
                    "after commit, other blocks must see the write"
                )

    def test_listing_sees_the_blocks_own_writes_and_removals(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.customers.add(_customer(2))
            uow.commit()
        with make() as uow:
            uow.customers.remove("cust-1")
            uow.customers.add(_customer(3))
            uow.opportunities.add(_opportunity(1, 3))
            renamed = uow.customers.save(uow.customers.get("cust-2").rename("New", at=_T0))
            assert uow.customers.list() == (renamed, _customer(3)), (
                "list() inside a block must merge its adds, saves and removals"
            )
            assert [c.version for c in uow.customers.list()] == [2, 1], (
                "listed records must carry their versions, the block's saves included"
            )

    def test_a_commit_without_writes_changes_nothing(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with make() as reader:
            reader.customers.get("cust-1")
            with make() as writer:
                writer.customers.save(writer.customers.get("cust-1"))
                writer.commit()
            reader.commit()  # read-only: nothing to conflict with
        with make() as uow:
            assert uow.customers.get("cust-1").version == 2, (
                "a read-only commit must neither write nor fail"
            )

    def test_leaving_without_commit_discards_everything(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
        with pytest.raises(KeyError), make() as uow:  # noqa: PT012 - the block is the subject
            uow.customers.add(_customer(2))
            raise KeyError("boom")
        with make() as uow:
            assert uow.customers.list() == (), (
                "leaving a block without commit (or with an exception) must write nothing"
            )

    def test_a_commit_writes_several_aggregates_atomically(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.opportunities.add(_opportunity(1, 1))
            uow.commit()
        with make() as uow:
            assert [c.customer_id for c in uow.customers.list()] == ["cust-1"], (
                "commit must write every kind the block touched"
            )
            assert [o.opportunity_id for o in uow.opportunities.list()] == ["opp-1"], (
                "commit must write every kind the block touched, in one transaction"
            )

    def test_a_conflicting_commit_writes_nothing(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with make() as slow:
            customer = slow.customers.get("cust-1")
            slow.opportunities.add(_opportunity(1, 1))
            with make() as fast:
                fast.customers.save(fast.customers.get("cust-1"))
                fast.commit()
            # The copy is stale, so its save fails; the commit fails too,
            # because the block read a customer that has changed since.
            with pytest.raises(ConcurrencyError) as error:
                slow.customers.save(customer.rename("Renamed", at=_T0))
            assert error.value.record_id == "cust-1", "ConcurrencyError must name the record"
            with pytest.raises(ConcurrencyError):
                slow.commit()
        with make() as uow:
            assert uow.opportunities.list() == (), (
                "a commit refused for a conflict must write nothing: check every version "
                "first, then write, in one transaction"
            )
            assert uow.customers.get("cust-1").version == 2, "the other block's write stays"
            assert uow.customers.get("cust-1").name == "Customer 1", (
                "the stale block's change must not be written"
            )

    def test_an_aggregate_only_read_also_conflicts(self) -> None:
        """Prevents write skew: a commit based on a stale read is refused."""
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with make() as slow:
            slow.customers.get("cust-1")  # read only
            slow.opportunities.add(_opportunity(1, 1))
            with make() as fast:
                fast.customers.save(fast.customers.get("cust-1").lose(at=_T0, reason="churn"))
                fast.commit()
            with pytest.raises(ConcurrencyError):
                slow.commit()
        with make() as uow:
            assert uow.opportunities.list() == (), (
                "a block whose reads went stale must not commit: apply() must also check "
                "the versions of records only read (prevents write skew)"
            )

    def test_concurrent_adds_of_one_id_conflict(self) -> None:
        make = self.unit_of_work_factory()
        with make() as first, make() as second:
            first.customers.add(_customer(1))
            second.customers.add(_customer(1))
            first.commit()
            with pytest.raises(ConcurrencyError):
                second.commit()

    def test_a_unit_of_work_is_not_re_entrant_but_reusable(self) -> None:
        uow = self.unit_of_work_factory()()
        with uow, pytest.raises(CrmError):
            uow.__enter__()  # entering an open one fails
        with uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with uow:
            assert "cust-1" in uow.customers, "a unit of work must be reusable after exit"

    def test_repositories_need_an_open_unit_of_work(self) -> None:
        uow = self.unit_of_work_factory()()
        for attempt in (
            lambda: uow.customers.get("cust-1"),
            lambda: uow.customers.list(),
            lambda: uow.commit(),
        ):
            with pytest.raises(CrmError):
                attempt()

    def test_events_are_handed_over_after_commit_and_only_once(self) -> None:
        make = self.unit_of_work_factory()
        uow = make()
        customer = _customer(1)
        with uow:
            uow.customers.add(customer)
            assert uow.collect_events() == [], "events are handed over only after commit"
            uow.commit()
        assert uow.collect_events() == list(customer.pending_events), (
            "after commit, collect_events() gives the committed aggregates' events in order"
        )
        assert uow.collect_events() == [], "events are handed over once"
        with uow:
            loaded = uow.customers.get("cust-1")
            uow.customers.save(loaded.rename("Other", at=_T0))
        assert uow.collect_events() == [], "a block left without commit hands over no events"

    def test_several_commits_in_one_block(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            saved = uow.customers.add(_customer(1))
            uow.commit()
            saved = uow.customers.save(saved.rename("Second", at=_T0))
            uow.commit()
            assert saved.version == 2, "a block may commit several times; versions go on"
        with make() as uow:
            assert uow.customers.get("cust-1").name == "Second", (
                "the second commit of a block must be written too"
            )

    def test_select_records_what_it_returns_as_read(self) -> None:
        """A record a query returned that someone changes makes the commit conflict."""
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with make() as slow:
            assert [c.customer_id for c in slow.select(RecordKind.CUSTOMER)] == ["cust-1"], (
                "select must return the stored records"
            )
            slow.opportunities.add(_opportunity(1, 1))
            with make() as fast:
                fast.customers.save(fast.customers.get("cust-1"))
                fast.commit()
            with pytest.raises(ConcurrencyError):
                slow.commit()

    def test_select_does_not_protect_against_phantoms(self) -> None:
        """A record another unit of work adds that would have matched is no conflict
        (documented: no phantom protection)."""
        make = self.unit_of_work_factory()
        with make() as slow:
            assert slow.select(RecordKind.CUSTOMER, {"phase": "acquisition"}) == (), (
                "select on an empty store returns nothing"
            )
            slow.opportunities.add(_opportunity(1, 1))
            with make() as fast:
                fast.customers.add(_customer(1))
                fast.commit()
            slow.commit()
        with make() as uow:
            assert len(uow.select(RecordKind.OPPORTUNITY, {"customer_id": "cust-1"})) == 1, (
                "a block whose query missed a later add (a phantom) still commits"
            )

    def test_select_refuses_bad_queries(self) -> None:
        """Unknown kinds and fields, bad values, limits, cursors and orderings are
        ValidationErrors."""
        make = self.unit_of_work_factory()
        with make() as uow:
            attempts: tuple[Callable[[], object], ...] = (
                lambda: uow.select("customers"),  # type: ignore[arg-type]
                lambda: uow.select(RecordKind.CUSTOMER, {"name": "x"}),
                lambda: uow.select(RecordKind.CUSTOMER, {"phase": "nowhere"}),
                lambda: uow.select(RecordKind.OPPORTUNITY, {"is_open": "yes"}),
                lambda: uow.select(RecordKind.CUSTOMER, ["phase"]),  # type: ignore[arg-type]
                lambda: uow.select(RecordKind.CUSTOMER, limit=0),
                lambda: uow.select(RecordKind.CUSTOMER, after=""),
                lambda: uow.select(RecordKind.CUSTOMER, order_by="name"),
            )
            for attempt in attempts:
                with pytest.raises(ValidationError):
                    attempt()

    def test_versions_count_across_remove_and_add_again(self) -> None:
        make = self.unit_of_work_factory()
        with make() as uow:
            uow.customers.add(_customer(1))
            uow.commit()
        with make() as uow:
            uow.customers.remove("cust-1")
            again = uow.customers.add(_customer(1))
            assert again.version == 2, (
                "an id removed and added again in one block continues its version"
            )
            uow.commit()
        with make() as uow:
            assert uow.customers.get("cust-1").version == 2, (
                "the store must keep the continued version of a re-added id"
            )
