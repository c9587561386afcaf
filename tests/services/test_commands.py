"""Commands through the one handling path: the same on every store, atomic when
refused, and queries that equal a brute-force filter."""

import datetime as _dt
import itertools
from typing import Any

import attrs
import pendulum
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crmcore import Actor, CrmError, Money, Role, commands, services
from crmcore.adapters.converters import make_converter
from crmcore.adapters.memory import InMemoryStore, InMemoryUnitOfWork
from crmcore.adapters.sql import SqlUnitOfWork
from crmcore.domain.kinds import REGISTRY, RecordKind
from crmcore.errors import ValidationError
from crmcore.policy import DEFAULT_POLICY, Action
from crmcore.testing import SequentialIds
from crmcore.testing.strategies import commands as command_values
from tests.clocks import LATER
from tests.sql.backends import BACKENDS, new_store

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")

# Ids that SequentialIds hands out first, so that commands find their records.
POOL = [f"{prefix}-{n:06d}" for prefix in ("cust", "opp", "ctr", "svc", "cmp") for n in (1, 2, 3)]
ACTORS = [
    None,
    Actor("u1", Role.SALES_REP, {"north"}),
    Actor("u2", Role.SALES_MANAGER, {"north"}),
    Actor("u3", Role.SERVICE_AGENT, {"north"}),
    Actor("boss", Role.ADMIN),
]


def _sequence() -> st.SearchStrategy[list[tuple[commands.Command[Any], Actor | None]]]:
    """Commands in time order, each with an actor; creations come often."""
    creations = command_values(
        kinds=[
            commands.RegisterProspect,
            commands.OpenOpportunity,
            commands.StartServiceContract,
            commands.FileComplaint,
        ],
        record_ids=st.sampled_from(POOL),
    )
    anything = command_values(record_ids=st.sampled_from(POOL))
    step = st.tuples(st.one_of(creations, anything), st.sampled_from(ACTORS))
    return st.lists(step, min_size=1, max_size=25).map(
        lambda steps: [
            (attrs.evolve(command, at=T0.add(hours=i)), actor)
            for i, (command, actor) in enumerate(steps)
        ]
    )


def _state(uow: Any) -> dict[RecordKind, list[tuple[int, Any]]]:
    with uow:
        return {kind: [(r.version, r) for r in uow.select(kind)] for kind in REGISTRY}


def _outcome(uow: Any, command: commands.Command[Any], actor: Actor | None) -> tuple[str, object]:
    try:
        return "ok", services.handle(uow, command, actor=actor)
    except CrmError as error:
        return type(error).__name__, str(error)


@pytest.mark.parametrize("backend", BACKENDS)
@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=_sequence())
def test_every_command_does_the_same_on_memory_and_on_sql(
    backend: str, steps: list[tuple[commands.Command[Any], Actor | None]]
) -> None:
    """Same result (or refusal), same events, same stored state (versions
    included) on the in-memory store and the SQL store on SQLite and on
    PostgreSQL; a refused command changes nothing."""
    memory = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    sql = SqlUnitOfWork(new_store(backend), ids=SequentialIds(), clock=LATER)
    for command, actor in steps:
        before = memory.store.snapshot()
        got = _outcome(memory, command, actor)
        assert _outcome(sql, command, actor) == got, command
        if got[0] != "ok":
            assert memory.store.snapshot() == before, (
                f"a refused {type(command).__name__} changed the store"
            )
        assert memory.collect_events() == sql.collect_events()
    assert _state(memory) == _state(sql)


@settings(max_examples=60)
@given(command=command_values())
def test_commands_round_trip_through_the_converter(command: commands.Command[Any]) -> None:
    converter = make_converter()
    assert converter.structure(converter.unstructure(command), type(command)) == command


@given(command=command_values())
def test_commands_compare_by_value_and_hide_free_text(command: commands.Command[Any]) -> None:
    assert attrs.evolve(command) == command
    for field in ("name", "reason", "subject", "title", "note"):
        assert f"{field}=" not in repr(command), "free text stays out of repr"


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: commands.RegisterProspect(name=" ", at=T0), "name"),
        (lambda: commands.RegisterProspect(name="A", at=pendulum.naive(2030, 1, 1)), "at"),
        (lambda: commands.WinOpportunity(opportunity_id="has space", at=T0), "opportunity_id"),
        (lambda: commands.LogInteraction(
            customer_id="c", channel="fax machine", direction="in", subject="s", at=T0
        ), "channel"),
        (lambda: commands.RecordPayment(
            contract_id="k", amount=Money.zero("EUR"), at=T0
        ), "amount"),
        (lambda: commands.OpenOpportunity(
            customer_id="c", title="t", amount=Money.of("-1", "EUR"), at=T0
        ), "amount"),
        (lambda: commands.CloseComplaint(complaint_id="c", satisfaction=6, at=T0), "satisfaction"),
        (lambda: commands.RecordPayment(contract_id="k", amount="5 EUR", at=T0), "amount"),  # type: ignore[arg-type]
        (lambda: commands.MoveOpportunity(opportunity_id="o", stage=" ", at=T0), "stage"),
        (lambda: commands.FileComplaint(
            customer_id="c", channel="web", level="low", complainant_type="rational",
            subject="s", response_target=_dt.timedelta(0), at=T0,
        ), "response_target"),
        (lambda: commands.StartServiceContract(
            customer_id="c", starts=T0.date(), term_months=0, auto_renew=True, notice_days=0,
            price=Money.of("1", "EUR"), at=T0,
        ), "term_months"),
        (lambda: commands.Reassign(
            kind="customers", record_id="c", owner=None, team=None, at=T0
        ), "kind"),
        (lambda: commands.AdvanceComplaint(complaint_id="c", step="calmed", note=5, at=T0), "note"),  # type: ignore[arg-type]
        (lambda: commands.UpdateProfile(customer_id="c", profile={}, at=T0), "profile"),  # type: ignore[arg-type]
        (lambda: commands.PlanCampaign(
            name="n", channel="web", period="2030-03", budget=Money.zero("EUR"), at=T0,  # type: ignore[arg-type]
        ), "period"),
        (lambda: commands.PlanCampaign(
            name="n", channel="web", period=(T0.date(), T0.date()), budget=Money.zero("EUR"),
            expected_response=2, at=T0,  # type: ignore[arg-type]
        ), "expected_response"),
        (lambda: commands.SetCampaignMemberStatus(
            campaign_id="p", customer_id="c", status=" ", at=T0
        ), "status"),
        (lambda: commands.AddCampaignMembers(campaign_id="p", customer_ids=(), at=T0),
         "customer_ids"),
        (lambda: commands.AddCampaignMembers(campaign_id="p", customer_ids=("a b",), at=T0),
         "customer_ids"),
        (lambda: commands.SetOpportunityCampaign(opportunity_id="o", campaign_id="", at=T0),
         "campaign_id"),
    ],
)  # fmt: skip
def test_a_bad_field_is_refused_when_the_command_is_built(build: Any, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build()
    assert caught.value.field == field


def test_handle_refuses_what_is_not_a_command() -> None:
    with pytest.raises(ValidationError) as caught:
        services.handle(InMemoryUnitOfWork(clock=LATER), "RegisterProspect")  # type: ignore[arg-type]
    assert caught.value.field == "command"


# find: pages equal a brute-force filter, also with inserts between pages -------------


WHERE: dict[RecordKind, st.SearchStrategy[dict[str, Any]]] = {
    RecordKind.CUSTOMER: st.fixed_dictionaries(
        {}, optional={"phase": st.sampled_from(["acquisition", "contract", "lost"])}
    ),
    RecordKind.OPPORTUNITY: st.fixed_dictionaries(
        {},
        optional={
            "customer_id": st.sampled_from(POOL[:3]),
            "is_open": st.booleans(),
            "stage": st.sampled_from(["Research", "Contact", "Won"]),
        },
    ),
}


@st.composite
def _world(draw: st.DrawFn) -> InMemoryUnitOfWork:
    uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    teams = st.sampled_from(["north", "south"])
    for _ in range(draw(st.integers(0, 6))):
        services.handle(
            uow,
            commands.RegisterProspect(
                name="N", at=T0, owner=draw(st.sampled_from(["u1", "u2", None])), team=draw(teams)
            ),
        )
    customers = [c.customer_id for c in _everything(uow, RecordKind.CUSTOMER)]
    for i in range(draw(st.integers(0, 10)) if customers else 0):
        opp = services.handle(
            uow,
            commands.OpenOpportunity(
                customer_id=draw(st.sampled_from(customers)),
                title="t",
                amount=Money.of("1", "EUR"),
                at=T0.add(minutes=i),
                owner=draw(st.sampled_from(["u1", "u2"])),
                team=draw(teams),
            ),
        )
        assert opp is not None
        if draw(st.booleans()):
            services.handle(
                uow,
                commands.MoveOpportunity(opportunity_id=opp, stage="Contact", at=T0.add(hours=1)),
            )
    return uow


def _everything(uow: InMemoryUnitOfWork, kind: RecordKind) -> tuple[Any, ...]:
    with uow:
        return uow.select(kind)


def _brute(
    uow: InMemoryUnitOfWork, kind: RecordKind, actor: Actor | None, where: dict[str, Any]
) -> list[Any]:
    spec = REGISTRY[kind]
    checked = spec.check_where(where)
    return [
        r
        for r in _everything(uow, kind)
        if spec.matches(r, checked)
        and (actor is None or DEFAULT_POLICY.decide(actor, Action.READ, r).allowed)
    ]


@settings(max_examples=50)
@given(
    uow=_world(),
    kind=st.sampled_from([RecordKind.CUSTOMER, RecordKind.OPPORTUNITY]),
    actor=st.sampled_from(ACTORS),
    limit=st.integers(1, 4),
    data=st.data(),
)
def test_find_pages_equal_a_brute_force_filter_despite_inserts_between_pages(
    uow: InMemoryUnitOfWork, kind: RecordKind, actor: Actor | None, limit: int, data: st.DataObject
) -> None:
    where: dict[str, Any] = data.draw(WHERE[kind], label="where")
    before = _brute(uow, kind, actor, where)
    seen: list[str] = []
    cursor = None
    inserts = itertools.count()
    while True:
        page = services.find(uow, kind, actor=actor, limit=limit, after=cursor, **where)
        assert len(page.items) <= limit
        seen += [r.record_id for r in page.items]
        if page.next_cursor is None:
            break
        assert page.next_cursor == page.items[-1].record_id
        cursor = page.next_cursor
        if data.draw(st.booleans(), label="insert between pages"):
            services.handle(
                uow,
                commands.RegisterProspect(
                    name=f"late {next(inserts)}", at=T0, owner="u1", team="north"
                ),
            )
    after = _brute(uow, kind, actor, where)
    assert len(seen) == len(set(seen)), "no record is repeated"
    assert set(seen) <= {r.record_id for r in after}
    assert {r.record_id for r in before} <= set(seen), "no record that existed throughout is lost"
    assert seen == sorted(seen), "pages come in id order"


def test_indexed_values_are_checked_in_queries() -> None:
    with pytest.raises(ValidationError) as caught:
        services.find(InMemoryUnitOfWork(clock=LATER), RecordKind.OPPORTUNITY, stage=5)
    assert caught.value.field == "stage"
    with pytest.raises(ValidationError) as caught:
        DEFAULT_POLICY.read_filter("rep", RecordKind.CUSTOMER)  # type: ignore[arg-type]
    assert caught.value.field == "actor"


def test_commands_bind_their_field_names_and_refuse_the_same_values() -> None:
    from crmcore.commands import bind_field_names

    converters: dict[str, Any] = {
        f.name: f.converter for f in attrs.fields(commands.OpenOpportunity)
    }
    # each helper-made field converts the value alone, its name bound
    assert converters["customer_id"]("c-1") == "c-1"
    assert converters["owner"](None) is None  # optional: None passes unchecked
    assert converters["owner"]("u-1") == "u-1"
    for name, bad in (("customer_id", "a b"), ("owner", "a b"), ("title", " t")):
        with pytest.raises(ValidationError) as named:
            converters[name](bad)
        assert named.value.field == name
    with pytest.raises(ValidationError) as caught:
        commands.OpenOpportunity(customer_id="a b", title="t", amount=Money.of(1, "EUR"), at=T0)
    assert caught.value.field == "customer_id"
    # what attrs passes it, or a refusal naming the argument
    assert bind_field_names(commands.WinBackCustomer, []) == []
    for args, field in (((1, []), "cls"), ((commands.WinBackCustomer, [1]), "fields"),
                        ((commands.WinBackCustomer, "x"), "fields")):  # fmt: skip
        with pytest.raises(ValidationError) as refused:
            bind_field_names(*args)
        assert refused.value.field == field


def test_the_guard_finds_a_kind_by_member_or_value_and_nothing_else() -> None:
    import enum

    class Lookalike(enum.Enum):
        CUSTOMER = "customer"  # a kind's value, in another enum

    uow = InMemoryUnitOfWork(InMemoryStore(), ids=SequentialIds(), clock=LATER)
    customer = services.handle(uow, commands.RegisterProspect(name="A", at=T0))
    guard = services.Guard(uow, None, DEFAULT_POLICY)
    with uow:
        for kind in (RecordKind.CUSTOMER, "customer", RecordKind.CUSTOMER):
            assert guard.get(kind, customer, Action.READ).customer_id == customer
        wrongs: tuple[Any, ...] = (Lookalike.CUSTOMER, "client", None)
        for wrong in wrongs:
            with pytest.raises(ValidationError, match=r"^kind: is not a kind of record"):
                guard.get(wrong, customer, Action.READ)
