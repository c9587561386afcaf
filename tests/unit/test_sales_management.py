"""Sales management: territories, quotas, attainment, commission plans and statements."""

from decimal import Decimal
from fractions import Fraction
from typing import Any

import pendulum
import pytest

from crmcore import (
    AssignmentRule,
    CommissionPlan,
    CommissionPlanDefined,
    CommissionPlanRecord,
    Condition,
    Contract,
    CurrencyMismatchError,
    Customer,
    Money,
    Opportunity,
    PaymentRefunded,
    Period,
    Pipeline,
    Profile,
    Quota,
    QuotaFor,
    QuotaReplaced,
    QuotaSet,
    RecordKind,
    RecordTerritoryChanged,
    RuleMatch,
    Stage,
    StageKind,
    Territory,
    TerritoryCreated,
    TerritoryMoved,
    TerritoryRenamed,
    TerritoryRulesChanged,
    Tier,
    ValidationError,
    assign,
    commands,
    managed_territories,
)
from crmcore.adapters.converters import make_converter
from crmcore.analytics import (
    LineEvent,
    attainment,
    commission_forecast,
    commissions,
    quota_forecast,
    roll_up,
)
from crmcore.domain.pipeline import ForecastCategory
from crmcore.domain.territories import MAX_DEPTH, check_tree, depths

T0 = pendulum.datetime(2030, 1, 10, tz="UTC")
Q1 = Period.quarter(2030, 1)


def eur(amount: str | int) -> Money:
    return Money.of(amount, "EUR")


TIERS = (
    Tier(0, 50_000, Decimal("0.02")),
    Tier(50_000, 100_000, Decimal("0.04")),
    Tier(100_000, None, Decimal("0.06")),
)
MARGINAL = CommissionPlan("EUR", TIERS)
WHOLE = CommissionPlan("EUR", TIERS, mode="whole")


# Territories ---------------------------------------------------------------------------


def territory(
    territory_id: str, parent: str | None = None, *rules: AssignmentRule, **kw: Any
) -> Territory:
    return Territory.create(
        territory_id=territory_id,
        name=territory_id.title(),
        parent_id=parent,
        rules=rules,
        at=T0,
        **kw,
    ).without_events()


def rule(*conditions: Condition, match: str = "all") -> AssignmentRule:
    return AssignmentRule(conditions, match)


def customer(**profile: Any) -> Customer:
    return Customer.prospect(customer_id="c1", name="Ada", at=T0, profile=Profile(**profile))


def test_conditions_check_enum_values_and_fold_free_text() -> None:
    assert Condition("region", ["North-East"]).values == {"north east"}
    assert Condition("region", ["North"]).matches("NORTH")
    assert not Condition("region", ["North"]).matches(None)
    assert Condition("customer_type", ["Corporate"]).values == {"corporate"}
    assert Condition("spend_band", {"A"}).matches("a")
    with pytest.raises(ValidationError) as caught:
        Condition("industry", ["retail"])
    assert caught.value.field == "values"
    for bad_field in ("", "two words", 7, "x" * 51):
        with pytest.raises(ValidationError, match="field"):
            Condition(bad_field, ["a"])
    for bad_values, field in (
        ([], "values"),
        ("north", "values"),
        ([" "], "values[0]"),
        ([3], "values[0]"),
    ):
        with pytest.raises(ValidationError) as caught:
            Condition("region", bad_values)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_rules_combine_conditions_as_all_or_any() -> None:
    north = Condition("region", ["north"])
    business = Condition("customer_type", ["corporate"])
    values = {"region": "north", "customer_type": "ordinary"}
    assert not rule(north, business).matches(values)
    assert rule(north, business, match="any").matches(values)
    assert rule(north).match is RuleMatch.ALL
    for bad in ((), (north,) * 21, ("region",)):
        with pytest.raises(ValidationError):
            AssignmentRule(bad)  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        AssignmentRule((north,), "most")
    assert caught.value.field == "match"


def test_a_territory_is_created_renamed_moved_and_given_rules_with_events() -> None:
    created = Territory.create(territory_id="fr", name="France", at=T0, team="paris")
    assert created.territory == "fr"
    assert created.rules == ()
    assert created.pending_events == (
        TerritoryCreated(occurred_at=T0, territory_id="fr", parent_id=None),
    )
    t1 = T0.add(days=1)
    renamed = created.without_events().rename("Gaul", at=t1)
    assert renamed.name == "Gaul"
    assert renamed.pending_events == (TerritoryRenamed(occurred_at=t1, territory_id="fr"),)
    moved = renamed.move("eu", at=t1)
    assert moved.parent_id == "eu"
    assert moved.pending_events[-1] == TerritoryMoved(
        occurred_at=t1, territory_id="fr", previous_parent_id=None, parent_id="eu"
    )
    ruled = moved.set_rules([rule(Condition("region", ["fr"]))], at=t1)
    assert len(ruled.rules) == 1
    assert isinstance(ruled.pending_events[-1], TerritoryRulesChanged)
    assert ruled.set_rules([], at=t1).rules == ()
    with pytest.raises(ValidationError, match="name already"):
        renamed.rename("Gaul", at=t1)
    with pytest.raises(ValidationError, match="parent already"):
        moved.move("eu", at=t1)
    with pytest.raises(ValidationError, match="itself"):
        moved.move("fr", at=t1)
    with pytest.raises(ValidationError, match="earlier than the record's last change"):
        moved.move(None, at=T0)
    with pytest.raises(ValidationError) as caught:
        moved.set_rules([rule(Condition("region", ["x"]))] * 51, at=t1)
    assert caught.value.field == "rules"
    with pytest.raises(ValidationError) as caught:
        moved.set_rules(["region"], at=t1)  # type: ignore[list-item]
    assert caught.value.field == "rules[0]"


def test_a_territory_is_its_own_territory_and_not_its_own_parent() -> None:
    with pytest.raises(ValidationError) as caught:
        Territory(territory_id="fr", name="France", parent_id="fr", territory="fr", changed_at=T0)
    assert caught.value.field == "parent_id"
    with pytest.raises(ValidationError) as caught:
        Territory(territory_id="fr", name="France", territory="eu", changed_at=T0)
    assert caught.value.field == "territory"


def test_the_tree_is_checked_for_cycles_missing_parents_and_depth() -> None:
    eu, fr, lyon = territory("eu"), territory("fr", "eu"), territory("lyon", "fr")
    assert depths([lyon, fr, eu]) == {"eu": 0, "fr": 1, "lyon": 2}
    assert check_tree([eu, fr]) == (eu, fr)
    a, b = territory("a", "b"), territory("b", "a")
    with pytest.raises(ValidationError, match="cycle"):
        depths([a, b])
    with pytest.raises(ValidationError, match="not among them"):
        depths([fr])
    with pytest.raises(ValidationError, match="repeats"):
        depths([eu, eu])
    with pytest.raises(ValidationError) as caught:
        depths([eu, "fr"])  # type: ignore[list-item]
    assert caught.value.field == "territories[1]"
    chain = [territory("t0")] + [territory(f"t{i}", f"t{i - 1}") for i in range(1, MAX_DEPTH + 2)]
    with pytest.raises(ValidationError, match="too deep"):
        depths(chain)
    assert depths(chain[:-1])[f"t{MAX_DEPTH}"] == MAX_DEPTH
    # a long degenerate chain is refused after MAX_DEPTH steps, not walked whole
    long_chain = [territory("l0")] + [territory(f"l{i}", f"l{i - 1}") for i in range(1, 5000)]
    with pytest.raises(ValidationError, match="too deep"):
        depths(long_chain[::-1])


def test_assign_picks_the_deepest_match_then_the_first_given() -> None:
    europe = territory("eu", None, rule(Condition("region", ["north", "south"])))
    north = territory("north", "eu", rule(Condition("region", ["north"])))
    business = territory("biz", "eu", rule(Condition("customer_type", ["corporate"])))
    grouping = territory("group")  # no rules: matches nobody
    ada = customer(region="North", customer_type="corporate")
    assert assign(ada, [europe, north, business, grouping]) == north
    assert assign(ada, [europe, business, north, grouping]) == business
    assert assign(customer(region="south"), [europe, north, business]) == europe
    assert assign(customer(region="west"), [europe, north, business]) is None
    assert assign(customer(), []) is None


def test_assign_reads_the_phase_and_attributes_the_caller_gives() -> None:
    gold = territory(
        "gold", None, rule(Condition("spend_band", ["A"]), Condition("phase", ["acquisition"]))
    )
    assert assign(customer(), [gold], attributes={"spend_band": "A"}) == gold
    assert assign(customer(), [gold], attributes={"spend_band": "B"}) is None
    with pytest.raises(ValidationError, match="has no 'spend_band'"):
        assign(customer(), [gold])
    for bad, field in (
        ({"region": "x"}, "attributes"),
        ({"two words": "x"}, "attributes"),
        ({3: "x"}, "attributes"),
        ({"band": 3}, "attributes['band']"),
        (["band"], "attributes"),
    ):
        with pytest.raises(ValidationError) as caught:
            assign(customer(), [gold], attributes=bad)  # type: ignore[arg-type]
        assert caught.value.field == field
    with pytest.raises(ValidationError) as caught:
        assign("c1", [gold])  # type: ignore[arg-type]
    assert caught.value.field == "customer"


def test_managed_territories_are_a_teams_territories_and_their_descendants() -> None:
    tree = [
        territory("eu", team="emea"),
        territory("fr", "eu", team="paris"),
        territory("lyon", "fr", team="paris"),
        territory("asia", team="apac"),
    ]
    assert managed_territories(["emea"], tree) == {"eu", "fr", "lyon"}
    assert managed_territories({"paris"}, tree) == {"fr", "lyon"}
    assert managed_territories([], tree) == frozenset()
    with pytest.raises(ValidationError) as caught:
        managed_territories("emea", tree)
    assert caught.value.field == "teams"


def test_every_record_moves_to_a_territory_with_an_event() -> None:
    ada = customer()
    moved = ada.move_to_territory("fr", at=T0.add(days=1))
    assert moved.territory == "fr"
    assert moved.pending_events[-1] == RecordTerritoryChanged(
        occurred_at=T0.add(days=1),
        record_kind=ada.record_kind,
        record_id="c1",
        previous_territory=None,
        territory="fr",
    )
    with pytest.raises(ValidationError, match="already in this territory"):
        moved.move_to_territory("fr", at=T0.add(days=2))
    with pytest.raises(ValidationError) as caught:
        moved.move_to_territory("bad id", at=T0.add(days=2))
    assert caught.value.field == "territory"


# Quotas ------------------------------------------------------------------------------------


def won(opportunity_id: str, amount: str, at: pendulum.DateTime, **kw: Any) -> Opportunity:
    opened = Opportunity.open(
        opportunity_id=opportunity_id,
        customer_id="c1",
        title="Deal",
        amount=eur(amount),
        at=T0.subtract(days=30),
        **kw,
    )
    return opened.win(at=at)


CATEGORISED = Pipeline(
    (
        Stage("Lead", Decimal("0.1")),
        Stage("Upside", Decimal("0.6"), forecast_category=ForecastCategory.BEST_CASE),
        Stage("Commit", Decimal("0.8"), forecast_category=ForecastCategory.COMMIT),
        Stage("Won", 1, StageKind.WON),
        Stage("Lost", 0, StageKind.LOST),
    )
)


def opened(opportunity_id: str, amount: str, stage: str | None = None, **kw: Any) -> Opportunity:
    kw.setdefault("pipeline", CATEGORISED)
    deal = Opportunity.open(
        opportunity_id=opportunity_id,
        customer_id="c1",
        title="Deal",
        amount=eur(amount),
        at=T0,
        **kw,
    )
    return deal if stage is None else deal.move_to(stage, at=T0)


def dollar_deal() -> Opportunity:
    """An open deal of rep's in another currency than the plans' and quotas'."""
    return Opportunity.open(
        opportunity_id="o9",
        customer_id="c",
        title="t",
        amount=Money.of(5, "USD"),
        at=T0,
        owner="rep",
    )


def test_a_quota_is_for_a_user_a_territory_or_a_team() -> None:
    assert Quota("q", eur(1), Q1, owner="rep").quota_for is QuotaFor.USER
    assert Quota("q", eur(1), Q1, territory="fr", team="paris").quota_for is QuotaFor.TERRITORY
    assert Quota("q", 5, Q1, team="north").quota_for is QuotaFor.TEAM
    assert Quota("q", 5, Q1, team="north").currency is None
    with pytest.raises(ValidationError, match="needs someone"):
        Quota("q", eur(1), Q1)
    for bad in (eur(-1), -1, 10**9 + 1, True, 1.5, "100"):
        with pytest.raises(ValidationError) as caught:
            Quota("q", bad, Q1, owner="rep")  # type: ignore[arg-type]
        assert caught.value.field == "target"
    with pytest.raises(ValidationError) as caught:
        Quota("q", eur(1), "2030-Q1", owner="rep")  # type: ignore[arg-type]
    assert caught.value.field == "period"


def test_a_quota_is_set_and_its_target_replaced_with_events() -> None:
    quota = Quota.set(quota_id="q1", target=eur(100), period=Q1, at=T0, owner="rep", team="north")
    assert quota.pending_events == (
        QuotaSet(occurred_at=T0, quota_id="q1", period=Q1, target=eur(100)),
    )
    t1 = T0.add(days=1)
    replaced = quota.without_events().replace_target(eur(90), at=t1)
    assert (replaced.target, replaced.changed_at) == (eur(90), t1)
    assert replaced.pending_events == (
        QuotaReplaced(occurred_at=t1, quota_id="q1", previous_target=eur(100), target=eur(90)),
    )
    for bad in (5, Money.of(90, "USD")):
        with pytest.raises(ValidationError, match="another kind or currency"):
            quota.replace_target(bad, at=t1)
    with pytest.raises(ValidationError, match="already"):
        quota.replace_target(eur(100), at=t1)
    with pytest.raises(ValidationError, match="earlier"):
        replaced.replace_target(eur(80), at=T0)
    by_hand = Quota("q2", 5, Q1, team="north")  # not stored: no time to keep order with
    assert by_hand.replace_target(6, at=T0).target == 6
    assert by_hand.reassign(owner="rep", team="north", at=T0).owner == "rep"


def test_attainment_of_the_worked_example() -> None:
    quota = Quota("q1", eur(100_000), Q1, owner="rep-1")
    deals = [
        won("o1", "60000", T0.add(days=10), owner="rep-1"),
        won("o2", "25000", pendulum.datetime(2030, 3, 31, 23, 59, tz="UTC"), owner="rep-1"),
        won("o3", "40000", pendulum.datetime(2030, 4, 1, tz="UTC"), owner="rep-1"),  # next quarter
        won("o4", "10000", T0, owner="rep-2"),  # someone else's
        opened("o5", "70000", owner="rep-1"),  # open
    ]
    reached = attainment(quota, deals)
    assert (reached.won, reached.ratio, reached.deals) == (
        eur(85_000),
        Fraction(17, 20),
        ("o1", "o2"),
    )
    assert reached.gap == eur(15_000)
    assert reached.target == eur(100_000)
    assert attainment(quota, deals[::-1]) == reached
    assert attainment(Quota("q0", eur(0), Q1, owner="rep-1"), deals).ratio is None
    assert attainment(Quota("q0", eur(0), Q1, owner="rep-1"), deals).gap == eur(0)


def test_attainment_counts_deals_a_team_and_a_territory() -> None:
    deals = [
        won("o1", "100", T0, owner="a", team="north"),
        won("o2", "100", T0, owner="b", team="north"),
        won("o3", "100", T0, owner="c", team="south"),
    ]
    assert attainment(Quota("q", 4, Q1, team="north"), deals).won == 2
    assert attainment(Quota("q", 4, Q1, team="north"), deals).ratio == Fraction(1, 2)
    assert attainment(Quota("q", 2, Q1, team="north"), deals).gap == 0
    assert attainment(Quota("q", 0, Q1, team="north"), deals).ratio is None
    assert attainment(Quota("q", eur(600), Q1, territory="fr"), deals).won == eur(300)
    usd = Opportunity.open(
        opportunity_id="o9",
        customer_id="c",
        title="t",
        amount=Money.of(5, "USD"),
        at=T0,
        team="north",
    ).win(at=T0)
    with pytest.raises(CurrencyMismatchError):
        attainment(Quota("q", eur(1), Q1, team="north"), [usd])
    assert attainment(Quota("q", 3, Q1, team="north"), [usd]).won == 1
    with pytest.raises(ValidationError) as caught:
        attainment(Quota("q", 3, Q1, team="north"), [usd, "o1"])  # type: ignore[list-item]
    assert caught.value.field == "opportunities[1]"
    with pytest.raises(ValidationError) as caught:
        attainment("q", [])  # type: ignore[arg-type]
    assert caught.value.field == "quota"
    with pytest.raises(ValidationError, match="repeats an opportunity id") as caught:
        attainment(Quota("q", 3, Q1, team="north"), [deals[0], deals[1], deals[0]])
    assert caught.value.field == "opportunities[2]"


def test_roll_up_adds_the_parts_targets() -> None:
    months = [Quota(f"m{m}", eur(1000 * m), Period.month(2030, m), owner="rep") for m in (1, 2, 3)]
    quarter = roll_up("q1", months, period=Q1, owner="rep")
    assert (quarter.target, quarter.period, quarter.owner) == (eur(6000), Q1, "rep")
    year = roll_up(
        "y",
        [Quota("a", 2, Q1, team="t"), Quota("b", 3, Period.month(2030, 7), team="t")],
        period=Period.year(2030),
        team="t",
    )
    assert year.target == 5
    with pytest.raises(ValidationError) as caught:
        roll_up("q", months, period=Period.month(2030, 1), owner="rep")
    assert caught.value.field == "parts[1].period"
    with pytest.raises(ValidationError) as caught:
        roll_up("q", [months[0], Quota("c", 3, Q1, owner="rep")], period=Q1, owner="rep")
    assert caught.value.field == "parts[1].target"
    with pytest.raises(CurrencyMismatchError):
        roll_up(
            "q",
            [months[0], Quota("c", Money.of(3, "USD"), Q1, owner="rep")],
            period=Q1,
            owner="rep",
        )
    with pytest.raises(ValidationError, match="is empty"):
        roll_up("q", [], period=Q1, owner="rep")
    with pytest.raises(ValidationError) as caught:
        roll_up("q", [months[0], "m2"], period=Q1, owner="rep")  # type: ignore[list-item]
    assert caught.value.field == "parts[1]"


def test_the_forecast_sets_the_pipeline_beside_the_quota() -> None:
    quota = Quota("q1", eur(100_000), Q1, owner="rep")
    deals = [
        won("o1", "40000", T0, owner="rep"),
        opened("o2", "20000", "Commit", owner="rep"),  # commit, 80 %
        opened("o3", "10000", "Upside", owner="rep"),  # best case, 60 %
        opened("o4", "50000", owner="rep"),  # pipeline, 10 %
        opened("o5", "99999", "Commit", owner="other"),
        opened("o6", "5000", owner="rep").lose(at=T0, reason="x"),
    ]
    result = quota_forecast(quota, deals)
    assert result.attainment.won == eur(40_000)
    closed, commit = result.rollups["closed"], result.rollups["commit"]
    assert (closed.amount, closed.weighted, closed.count) == (eur(40_000), eur(40_000), 1)
    assert (commit.amount, commit.weighted, commit.count) == (eur(60_000), eur(56_000), 2)
    assert commit.coverage == Fraction(56, 100)
    assert commit.gap == eur(44_000)
    best = result.rollups["best case"]
    assert (best.weighted, best.count) == (eur(62_000), 3)
    everything = result.rollups["open pipeline"]  # open deals only, as in forecast()
    assert (everything.amount, everything.weighted) == (eur(80_000), eur(27_000))
    zero = quota_forecast(Quota("q0", eur(0), Q1, owner="rep"), deals).rollups["closed"]
    assert zero.coverage is None
    assert zero.gap == eur(0)
    with pytest.raises(ValidationError, match="counts deals"):
        quota_forecast(Quota("q", 3, Q1, owner="rep"), deals)
    usd = dollar_deal()
    with pytest.raises(CurrencyMismatchError):
        quota_forecast(quota, [usd])


# Commission plans -----------------------------------------------------------------------


def test_the_worked_example_marginal_and_whole() -> None:
    assert MARGINAL.commission_on(eur(85_000)) == eur("2400.00")
    assert WHOLE.commission_on(eur(85_000)) == eur("3400.00")
    assert MARGINAL.commission_on(eur(150_000)) == eur(1000 + 2000 + 3000)
    assert WHOLE.commission_on(eur(50_000)) == eur(2000)  # a jump: 49,999.99 pays 1,000
    assert WHOLE.commission_on(eur("49999.99")) == eur("1000.00")
    assert MARGINAL.commission_on(eur(0)) == eur(0)
    assert CommissionPlan.flat("JPY", Decimal("0.05")).commission_on(
        Money.of(999, "JPY")
    ) == Money.of(50, "JPY")
    assert (
        str(CommissionPlan.flat("EUR", Decimal("0.001")).commission_on(eur("4.99"))) == "0.00 EUR"
    )


def test_commission_on_refuses_negative_and_foreign_amounts() -> None:
    with pytest.raises(ValidationError) as caught:
        MARGINAL.commission_on(eur(-1))
    assert caught.value.field == "amount"
    with pytest.raises(ValidationError) as caught:
        MARGINAL.commission_on(100)  # type: ignore[arg-type]
    assert caught.value.field == "amount"
    with pytest.raises(CurrencyMismatchError):
        MARGINAL.commission_on(Money.of(1, "USD"))


def test_a_negative_base_claws_back_at_the_plans_rates() -> None:
    assert MARGINAL.exact_commission(Fraction(-85_000)) == -2400
    assert WHOLE.exact_commission(Fraction(-85_000)) == -3400


@pytest.mark.parametrize(
    ("tiers", "field", "fragment"),
    [
        ((), "tiers", "number of tiers"),
        ((Tier(0, 10, 0), Tier(20, None, 0)), "tiers[1].lower", "gap"),
        ((Tier(0, 10, 0), Tier(5, None, 0)), "tiers[1].lower", "overlaps"),
        ((Tier(5, None, 0),), "tiers[0].lower", "gap"),
        ((Tier(0, 10, 0),), "tiers[0].upper", "open-ended"),
        ((Tier(0, None, 0), Tier(10, None, 0)), "tiers[1]", "follows the open-ended"),
        (("tier",), "tiers[0]", "must be a Tier"),
        ((Tier(0, None, 0),) * 51, "tiers", "number of tiers"),
    ],
)
def test_tier_tables_with_gaps_or_overlaps_are_refused(
    tiers: Any, field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError, match=fragment) as caught:
        CommissionPlan("EUR", tiers)
    assert caught.value.field == field


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((-1, None, 0), "lower"),
        ((0, 0, 0), "upper"),
        ((10, 5, 0), "upper"),
        ((0.5, None, 0), "lower"),
        ((Decimal("NaN"), None, 0), "lower"),
        ((Decimal("1e18"), None, 0), "lower"),
        ((0, None, Decimal("1.01")), "rate"),
        ((0, None, -1), "rate"),
        ((0, None, 0.04), "rate"),
        ((0, None, "0.04"), "rate"),
    ],
)
def test_tiers_are_checked(arguments: tuple[Any, ...], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        Tier(*arguments)
    assert caught.value.field == field


def test_plan_options_are_checked() -> None:
    with pytest.raises(ValidationError) as caught:
        CommissionPlan("EUR", TIERS, mode="steps")
    assert caught.value.field == "mode"
    with pytest.raises(ValidationError) as caught:
        CommissionPlan.flat("EUR", Decimal("0.05"), earned_on="invoice")
    assert caught.value.field == "earned_on"
    with pytest.raises(ValidationError):
        CommissionPlan("XXX", TIERS)


def test_a_plan_is_kept_as_a_record_and_round_trips() -> None:
    record = CommissionPlanRecord.define(
        plan_id="p1", name="Standard", plan=WHOLE, at=T0, team="north"
    )
    assert record.pending_events == (CommissionPlanDefined(occurred_at=T0, plan_id="p1"),)
    converter = make_converter()
    stored = record.without_events()
    assert converter.structure(converter.unstructure(stored), CommissionPlanRecord) == stored
    with pytest.raises(ValidationError) as caught:
        CommissionPlanRecord.define(plan_id="p1", name="Standard", plan="2 %", at=T0)  # type: ignore[arg-type]
    assert caught.value.field == "plan"


# Contracts: refunds and margins -------------------------------------------------------------


def signed(amount: str = "1000", **kw: Any) -> Contract:
    kw.setdefault("owner", "rep")
    return Contract.sign(
        contract_id=kw.pop("contract_id", "k1"),
        customer_id="c1",
        opportunity_id="o1",
        amount=eur(amount),
        at=T0,
        **kw,
    ).without_events()


def test_refunds_lower_what_is_paid_in_any_state() -> None:
    t1, t2 = T0.add(days=1), T0.add(days=2)
    paid = signed().pay(eur(600), at=t1)
    refunded = paid.refund(eur(200), at=t2)
    assert (refunded.received, refunded.refunded, refunded.paid, refunded.outstanding) == (
        eur(600),
        eur(200),
        eur(400),
        eur(600),
    )
    assert refunded.pending_events[-1] == PaymentRefunded(
        occurred_at=t2, contract_id="k1", amount=eur(200), paid=eur(400)
    )
    fulfilled = refunded.pay(eur(600), at=t2).deliver(at=t2)
    assert fulfilled.is_fulfilled
    returned = fulfilled.refund(eur(1000), at=t2)
    assert returned.is_fulfilled
    assert returned.paid == eur(0)
    assert not returned.is_paid
    cancelled = signed().pay(eur(300), at=t1).cancel(at=t1, reason="x").refund(eur(300), at=t2)
    assert cancelled.is_cancelled
    assert cancelled.paid == eur(0)
    with pytest.raises(ValidationError, match="more than the 400"):
        refunded.refund(eur(401), at=t2)
    with pytest.raises(ValidationError) as caught:
        refunded.refund(eur(0), at=t2)
    assert caught.value.field == "amount"
    with pytest.raises(CurrencyMismatchError):
        refunded.refund(Money.of(1, "USD"), at=t2)
    with pytest.raises(ValidationError, match="earlier"):
        refunded.refund(eur(1), at=T0)


def test_stored_refunds_and_margins_are_checked() -> None:
    converter = make_converter()
    data = converter.unstructure(
        signed().pay(eur(600), at=T0).refund(eur(200), at=T0).without_events()
    )
    assert converter.structure(data, Contract).paid == eur(400)
    for change, field in (
        (
            {
                "refunds": [
                    {"amount": {"amount": "700", "currency": "EUR"}, "at": data["signed_at"]}
                ]
            },
            "refunds",
        ),
        (
            {"refunds": [{"amount": {"amount": "-1", "currency": "EUR"}, "at": data["signed_at"]}]},
            "refunds",
        ),
        ({"margin": {"amount": "1001", "currency": "EUR"}}, "margin"),
        ({"margin": {"amount": "1", "currency": "USD"}}, "margin"),
        ({"margin": {"amount": "-1", "currency": "EUR"}}, "margin"),
        ({"fulfilled_at": data["signed_at"]}, "fulfilled_at"),
    ):
        with pytest.raises(ValidationError) as caught:
            converter.structure({**data, **change}, Contract)
        assert field in str(caught.value)
    assert signed(margin=eur(250)).margin == eur(250)


# Commission statements ------------------------------------------------------------------------


def test_commission_on_signing_with_the_lines_that_make_it() -> None:
    deals = [signed("60000"), signed("25000", contract_id="k2")]
    statement = commissions(MARGINAL, deals, Q1)
    assert dict(statement) == {"rep": eur("2400.00")}
    assert [(line.contract_id, line.base, line.commission) for line in statement.lines] == [
        ("k1", eur("60000.00"), eur("1400.00")),
        ("k2", eur("25000.00"), eur("1000.00")),
    ]
    assert statement.bases == {"rep": eur(85_000)}
    assert statement.total == eur(2400)
    assert statement.owners["rep"].lines[0].event is LineEvent.SIGNED
    assert dict(commissions(MARGINAL, deals, Period.quarter(2030, 2))) == {}


def test_a_payment_and_its_full_refund_pay_zero() -> None:
    plan = CommissionPlan("EUR", TIERS, earned_on="payment")
    april = pendulum.datetime(2030, 4, 2, tz="UTC")
    contract = signed("1000").pay(eur(400), at=T0).refund(eur(400), at=april)
    q1, q2 = (
        commissions(plan, [contract], Q1),
        commissions(plan, [contract], Period.quarter(2030, 2)),
    )
    assert q1["rep"] == eur(8)
    assert q2["rep"] == eur(-8)
    assert q2.owners["rep"].lines[0].event is LineEvent.REFUND
    year = commissions(plan, [contract], Period.year(2030))
    assert year["rep"] == eur(0)
    assert [line.base for line in year.lines] == [eur(400), eur(-400)]


def test_a_cancellation_reverses_what_was_earned() -> None:
    april = pendulum.datetime(2030, 4, 2, tz="UTC")
    contract = signed("1000").pay(eur(300), at=T0).cancel(at=april, reason="x")
    contract = contract.refund(eur(300), at=april.add(days=1))
    q2 = commissions(MARGINAL, [contract], Period.quarter(2030, 2))
    assert [(line.event, line.base) for line in q2.lines] == [(LineEvent.CANCELLATION, eur(-1000))]
    paying = CommissionPlan.flat("EUR", Decimal("0.1"), earned_on="payment")
    assert commissions(paying, [contract], Period.quarter(2030, 2))["rep"] == eur(-30)
    refunded_first = signed("1000").refund  # a refund before any payment is refused
    with pytest.raises(ValidationError):
        refunded_first(eur(1), at=T0)


def test_a_margin_plan_pays_on_the_margin_in_proportion() -> None:
    plan = CommissionPlan.flat("EUR", Decimal("0.1"), base="margin", earned_on="payment")
    contract = signed("300", margin=eur(100)).pay(eur(100), at=T0).pay(eur(200), at=T0.add(days=1))
    statement = commissions(plan, [contract], Q1)
    assert [line.base for line in statement.lines] == [eur("33.33"), eur("66.67")]
    assert statement["rep"] == eur(10)
    assert commissions(plan, [signed("300")], Q1) == {}  # payment plan, nothing paid
    on_signing = CommissionPlan.flat("EUR", Decimal("0.1"), base="margin")
    assert commissions(on_signing, [signed("300")], Q1)["rep"] == eur(30)  # no margin: the amount


def test_splits_share_every_line_and_sum_to_the_whole() -> None:
    flat = CommissionPlan.flat("EUR", Decimal("0.1"))
    contract = signed("100.00")
    split = commissions(
        flat, [contract], Q1, splits={"k1": {"a": Fraction(1, 3), "b": Fraction(2, 3)}}
    )
    assert split.bases == {"a": eur("33.33"), "b": eur("66.67")}
    assert split.total == eur(10)
    assert split.owners["a"].lines[0].share == Fraction(1, 3)
    for bad, field in (
        ({"k1": {"a": Fraction(1, 2)}}, "splits['k1']"),
        ({"k1": {"a": 0, "b": 1}}, "splits['k1']['a']"),
        ({"k1": {}}, "splits['k1']"),
        ({"k1": {"a": 0.5, "b": 0.5}}, "splits['k1']['a']"),
        ({"k 1": {"a": 1}}, "splits"),
        (["k1"], "splits"),
    ):
        with pytest.raises(ValidationError) as caught:
            commissions(flat, [contract], Q1, splits=bad)  # type: ignore[arg-type]
        assert caught.value.field == field


def test_statements_refuse_bad_input() -> None:
    with pytest.raises(ValidationError) as caught:
        commissions(MARGINAL, [signed(owner=None)], Q1)
    assert caught.value.field == "contracts[0].owner"
    with pytest.raises(CurrencyMismatchError):
        commissions(CommissionPlan.flat("USD", 0), [signed()], Q1)
    for args, field in (
        (("plan", [signed()], Q1), "plan"),
        ((MARGINAL, [signed(), "k"], Q1), "contracts[1]"),
        ((MARGINAL, [signed(), signed()], Q1), "contracts[1]"),
        ((MARGINAL, [signed()], "2030-Q1"), "period"),
        ((MARGINAL, "contracts", Q1), "contracts"),
    ):
        with pytest.raises(ValidationError) as caught:
            commissions(*args)
        assert caught.value.field == field


# Commission forecast --------------------------------------------------------------------------


def test_the_forecast_values_each_deal_on_top_of_what_is_attained() -> None:
    deals = [
        opened("o1", "20000", "Commit", owner="rep"),  # 80 %
        opened("o2", "10000", "Upside", owner="rep"),  # 60 %
        won("o3", "99999", T0, owner="rep"),  # closed: skipped
        opened("o4", "1000", "Commit", owner="bea"),
    ]
    forecast = commission_forecast(MARGINAL, deals, attained={"rep": eur(40_000)})
    # o1: 10,000 at 2 % + 10,000 at 4 % = 600, × 0.8; o2: 10,000 at 2 % = 200, × 0.6
    assert forecast == {"bea": eur(16), "rep": eur(600)}
    assert commission_forecast(MARGINAL, []) == {}
    with pytest.raises(ValidationError) as caught:
        commission_forecast(MARGINAL, [opened("o1", "1")])
    assert caught.value.field == "opportunities[0].owner"
    with pytest.raises(ValidationError) as caught:
        commission_forecast(MARGINAL, ["o1"])  # type: ignore[list-item]
    assert caught.value.field == "opportunities[0]"
    with pytest.raises(ValidationError) as caught:
        commission_forecast(MARGINAL, [deals[0], deals[0]])
    assert caught.value.field == "opportunities[1]"
    for attained, field in (
        ({"rep": 5}, "attained['rep']"),
        (["rep"], "attained"),
        ({"a b": eur(1)}, "attained"),
    ):
        with pytest.raises(ValidationError) as caught:
            commission_forecast(MARGINAL, deals, attained=attained)  # type: ignore[arg-type]
        assert caught.value.field == field
    with pytest.raises(CurrencyMismatchError):
        commission_forecast(MARGINAL, deals, attained={"rep": Money.of(1, "USD")})
    usd = dollar_deal()
    with pytest.raises(CurrencyMismatchError):
        commission_forecast(MARGINAL, [usd])
    with pytest.raises(ValidationError) as caught:
        commission_forecast("plan", deals)  # type: ignore[arg-type]
    assert caught.value.field == "plan"


def test_on_signing_a_refund_paid_again_restores_the_base() -> None:
    flat = CommissionPlan.flat("EUR", Decimal("0.1"))
    contract = signed("1000").pay(eur(400), at=T0).refund(eur(400), at=T0.add(days=1))
    assert commissions(flat, [contract], Q1).bases == {"rep": eur(600)}
    again = contract.pay(eur(1000), at=T0.add(days=2))
    statement = commissions(flat, [again], Q1)
    assert statement.bases == {"rep": eur(1000)}
    assert [line.event for line in statement.lines] == [
        LineEvent.SIGNED,
        LineEvent.REFUND,
        LineEvent.PAYMENT,
    ]
    assert [line.base for line in statement.lines] == [eur(1000), eur(-400), eur(400)]


def test_the_checks_behind_the_public_helpers() -> None:
    with pytest.raises(ValidationError) as caught:
        MARGINAL.exact_commission(0.5)  # type: ignore[arg-type]
    assert caught.value.field == "base"
    with pytest.raises(ValidationError, match="out of range"):
        MARGINAL.exact_commission(10**18)
    assert MARGINAL.exact_commission(Decimal("100")) == 2
    with pytest.raises(ValidationError) as caught:
        Money.in_minor_units(Decimal("1.5"), "EUR")  # type: ignore[arg-type]
    assert caught.value.field == "value"
    with pytest.raises(ValidationError, match="18 digits"):
        Money.in_minor_units(10**18, "EUR")
    assert Money.in_minor_units(Fraction(-1, 3), "EUR") == eur("-0.33")
    with pytest.raises(ValidationError) as caught:
        Condition("region", ["north"]).matches(3)  # type: ignore[arg-type]
    assert caught.value.field == "value"
    north = rule(Condition("region", ["north"]))
    for bad in (["north"], {"region": 3}, {3: "north"}):
        with pytest.raises(ValidationError) as caught:
            north.matches(bad)  # type: ignore[arg-type]
        assert caught.value.field == "values"
    with pytest.raises(ValidationError):
        territory("t", None, north).matches(["north"])  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as caught:
        commands.CreateTerritory(name="T", rules=["region"], at=T0)  # type: ignore[arg-type]
    assert caught.value.field == "rules[0]"


def test_quota_queries_take_a_period_or_its_text() -> None:
    spec = RecordKind.QUOTA.spec
    assert spec.check_where({"period": Q1}) == {"period": frozenset({"2030-Q1"})}
    assert spec.check_where({"period": ["2030-q1", "2030"]}) == {
        "period": frozenset({"2030-Q1", "2030"})
    }
    for bad in ("Q1", 2030):
        with pytest.raises(ValidationError) as caught:
            spec.check_where({"period": bad})
        assert caught.value.field == "period"


def test_territories_round_trip_and_a_set_is_read_only_from_a_list() -> None:
    converter = make_converter()
    rules = [rule(Condition("region", ["north", "south"]), Condition("phase", ["lost"]))]
    north = territory("north", "eu", *rules)
    data = converter.unstructure(north)
    assert data["rules"][0]["conditions"][0]["values"] == ["north", "south"]  # sorted
    assert converter.structure(data, Territory) == north
    data["rules"][0]["conditions"][0]["values"] = "north"
    with pytest.raises(ValidationError, match="must be a list"):
        converter.structure(data, Territory)


@pytest.mark.parametrize(
    ("field", "value", "profile"),
    [
        ("industry", "other", {"industry": "other"}),
        ("customer_type", "corporate", {"customer_type": "corporate"}),
        ("occupation", "manager", {"occupation": "manager"}),
        ("preferred_channel", "e-mail", {"preferred_channel": "email"}),
        ("region", "North", {"region": "north"}),
    ],
)
def test_assign_reads_every_profile_field(field: str, value: str, profile: dict[str, str]) -> None:
    matching = territory("t1", None, rule(Condition(field, [value])))
    assert assign(customer(**profile), [matching]) == matching
    assert assign(customer(), [matching]) is None  # the field unset matches nothing


def test_the_territories_a_team_manages_go_down_the_whole_tree() -> None:
    tree = [
        territory("root", team="hq"),
        territory("a", "root", team="x"),
        territory("b", "a", team="y"),
        territory("c", "b", team="z"),
        territory("d", "root", team="x"),
    ]
    assert managed_territories(["x"], tree) == {"a", "b", "c", "d"}
    assert managed_territories(["hq", "z"], tree) == {"root", "a", "b", "c", "d"}
    assert managed_territories(["y"], list(reversed(tree))) == {"b", "c"}


def test_roll_up_and_forecast_refusals_read_as_documented() -> None:
    part = Quota.set(quota_id="m1", target=Money.of("100", "EUR"), period=Q1, at=T0, owner="u1")
    rolled = roll_up("r", [part], period=Q1, territory="t7")
    assert (rolled.territory, rolled.owner, rolled.team) == ("t7", None, None)
    with pytest.raises(ValidationError) as caught:
        roll_up("r", [part], period="x")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "period: must be a Period, not str (accepted: Period.month, Period.quarter, Period.year "
        "or Period.parse('2030-Q1'))"
    )
    with pytest.raises(ValidationError) as caught:
        roll_up("r", "x", period=Q1)  # type: ignore[arg-type]
    assert str(caught.value) == (
        "parts: must be an iterable of one or more Quota values, not str (accepted: one or more "
        "Quota values)"
    )
    with pytest.raises(ValidationError) as caught:
        commission_forecast(CommissionPlan.flat("EUR", Decimal("0.05")), "x")  # type: ignore[arg-type]
    assert str(caught.value) == (
        "opportunities: must be an iterable of Opportunity values, not str (accepted: "
        "Opportunity values)"
    )
