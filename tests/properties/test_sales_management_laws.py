"""Laws of sales management: tier tables cover without gaps; marginal
commission is continuous and never falls; a payment and its refund pay zero;
splits add up; roll-ups add up; attainment ignores order; territory trees
have no cycles and assignment is deterministic."""

import itertools
from decimal import Decimal
from fractions import Fraction

import pendulum
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from crmcore import (
    CommissionPlan,
    Contract,
    Customer,
    Money,
    Opportunity,
    Period,
    Profile,
    Quota,
    Territory,
    Tier,
    ValidationError,
    assign,
)
from crmcore.analytics import attainment, commissions, roll_up
from crmcore.domain.territories import depths
from crmcore.testing import strategies as crm

T0 = pendulum.datetime(2030, 1, 1, tz="UTC")
YEAR = Period.year(2030)
BOUNDS = st.lists(st.integers(1, 10**6), min_size=1, max_size=5, unique=True).map(sorted)
RATES = st.integers(0, 1000).map(lambda r: Decimal(r).scaleb(-4))
BASES = st.fractions(min_value=0, max_value=2 * 10**6, max_denominator=100)


def _plan(bounds: list[int], rates: list[Decimal], mode: str = "marginal") -> CommissionPlan:
    edges = [0, *bounds, None]
    tiers = [
        Tier(lo, hi, rate) for (lo, hi), rate in zip(itertools.pairwise(edges), rates, strict=False)
    ]
    return CommissionPlan("EUR", tiers, mode=mode)


PLANS = BOUNDS.flatmap(
    lambda bounds: st.lists(RATES, min_size=len(bounds) + 1, max_size=len(bounds) + 1).map(
        lambda rates: (bounds, rates)
    )
)


@given(PLANS, st.integers(0, 4), st.integers(-50, 50).filter(bool))
def test_tier_tables_with_gaps_or_overlaps_are_refused(
    plan: tuple[list[int], list[Decimal]], where: int, shift: int
) -> None:
    bounds, rates = plan
    edges = [0, *bounds, None]
    tiers = [Tier(lo, hi, r) for (lo, hi), r in zip(itertools.pairwise(edges), rates, strict=False)]
    CommissionPlan("EUR", tiers)  # the table as drawn covers [0, ∞)
    index = 1 + where % len(bounds)
    moved = tiers[index].lower + shift
    upper = tiers[index].upper
    assume(moved >= 0 and (upper is None or moved < upper))
    tiers[index] = Tier(moved, upper, tiers[index].rate)
    with pytest.raises(ValidationError) as caught:
        CommissionPlan("EUR", tiers)
    assert caught.value.field == f"tiers[{index}].lower"
    assert ("gap" if shift > 0 else "overlaps") in caught.value.problem


@given(PLANS, BASES, st.fractions(min_value=0, max_value=1000, max_denominator=100))
def test_marginal_commission_is_continuous_and_never_falls(
    plan: tuple[list[int], list[Decimal]], base: Fraction, step: Fraction
) -> None:
    chosen = _plan(*plan)
    top = max(Fraction(t.rate) for t in chosen.tiers)
    rise = chosen.exact_commission(base + step) - chosen.exact_commission(base)
    assert 0 <= rise <= top * step  # Lipschitz: no jump, at most the top rate per unit
    assert chosen.commission_on(Money.of(0, "EUR")) == Money.of(0, "EUR")


@given(PLANS)
def test_whole_base_mode_jumps_at_a_boundary_by_the_rate_change(
    plan: tuple[list[int], list[Decimal]],
) -> None:
    bounds, rates = plan
    chosen = _plan(bounds, rates, "whole")
    for bound, below, above in zip(bounds, rates, rates[1:], strict=False):
        at, step = Fraction(bound), Fraction(1, 10**6)
        just_below = chosen.exact_commission(at - step)
        assert chosen.exact_commission(at) == at * Fraction(above)
        # the jump: the whole base moves to the next rate, not just the last unit
        jump = at * (Fraction(above) - Fraction(below)) + step * Fraction(below)
        assert chosen.exact_commission(at) - just_below == jump


def _signed(amount: Money, owner: str = "rep", contract_id: str = "k1") -> Contract:
    return Contract.sign(
        contract_id=contract_id,
        customer_id="c1",
        opportunity_id="o1",
        amount=amount,
        at=T0,
        owner=owner,
    )


@given(
    crm.commission_plans(currency="EUR"),
    crm.money(currency="EUR", min_value=1, max_value=10**7, places="minor"),
    st.integers(0, 400),
    st.integers(0, 400),
)
def test_a_payment_and_its_refund_pay_zero(
    plan: CommissionPlan, amount: Money, paid_after: int, refunded_after: int
) -> None:
    paid_at = T0.add(days=paid_after)
    contract = _signed(amount).pay(amount, at=paid_at)
    contract = contract.refund(amount, at=paid_at.add(days=refunded_after))
    months = [Period.month(y, m) for y in (2030, 2031, 2032) for m in range(1, 13)]
    statements = [commissions(plan, [contract], month) for month in months]
    if plan.earned_on.value == "payment":
        assert sum((s.total for s in statements), Money.zero("EUR")) == Money.zero("EUR")
        assert sum(
            (line.base for s in statements for line in s.lines), Money.zero("EUR")
        ) == Money.zero("EUR")
    whole = commissions(plan, [contract], Period.year(2030))
    if paid_after + refunded_after < 365 and plan.earned_on.value == "payment":
        assert whole.total == Money.zero("EUR")


@given(
    crm.money(currency="EUR", min_value=1, max_value=10**7, places="minor"),
    st.lists(st.integers(1, 9), min_size=1, max_size=4),
    RATES,
)
def test_splits_sum_to_the_whole(amount: Money, weights: list[int], rate: Decimal) -> None:
    owners = [f"rep-{i}" for i in range(len(weights))]
    shares = {o: Fraction(w, sum(weights)) for o, w in zip(owners, weights, strict=True)}
    plan = CommissionPlan.flat("EUR", rate)
    contract = _signed(amount)
    split = commissions(plan, [contract], YEAR, splits={"k1": shares})
    alone = commissions(plan, [contract], YEAR)
    assert sum(split.bases.values(), Money.zero("EUR")) == alone.bases["rep"]
    exact_split = sum(plan.exact_commission(b.amount) for b in split.bases.values())
    assert exact_split == plan.exact_commission(alone.bases["rep"].amount)


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["a", "b", "c"]),
            st.integers(0, 364),
            st.integers(1, 10**6),
        ),
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_roll_ups_add_up_and_attainment_ignores_order(
    deals: list[tuple[str, int, int]], random: object
) -> None:
    opportunities = [
        Opportunity.open(
            opportunity_id=f"o{i}",
            customer_id="c1",
            title="Deal",
            amount=Money.of(amount, "EUR"),
            at=T0,
            owner=owner,
            team="north",
        ).win(at=T0.add(days=day))
        for i, (owner, day, amount) in enumerate(deals)
    ]
    quarters = [Quota(f"q{q.number}", Money.of(100, "EUR"), q, owner="a") for q in YEAR.children()]
    year = roll_up("y", quarters, period=YEAR, owner="a")
    assert year.target == Money.of(400, "EUR")
    whole = attainment(year, opportunities)
    parts = [attainment(q, opportunities) for q in quarters]
    assert whole.won == sum((p.won for p in parts), Money.zero("EUR"))
    assert whole.deals == tuple(sorted(d for p in parts for d in p.deals))
    team = attainment(Quota("t", Money.of(1, "EUR"), YEAR, team="north"), opportunities)
    members = [
        attainment(Quota(o, Money.of(1, "EUR"), YEAR, owner=o), opportunities) for o in "abc"
    ]
    assert team.won == sum((m.won for m in members), Money.zero("EUR"))
    shuffled = list(opportunities)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert attainment(year, shuffled) == whole


@given(crm.territories(), crm.profiles(), st.sampled_from("ABC"))
def test_territory_trees_have_no_cycles_and_assignment_is_deterministic(
    tree: tuple[Territory, ...], profile: Profile, band: str
) -> None:
    depth = depths(tree)  # a tree: every parent among them, no cycle
    by_id = {t.territory_id: t for t in tree}
    for territory in tree:
        seen, current = set(), territory
        while current.parent_id is not None:
            assert current.territory_id not in seen
            seen.add(current.territory_id)
            current = by_id[current.parent_id]
    customer = Customer.prospect(customer_id="c1", name="Ada", at=T0, profile=profile)
    attributes = {"spend_band": band}
    chosen = assign(customer, tree, attributes=attributes)
    assert chosen == assign(customer, tree, attributes=attributes)
    values = {
        "region": profile.region,
        "industry": profile.industry and profile.industry.value,
        "customer_type": profile.customer_type and profile.customer_type.value,
        "occupation": profile.occupation and profile.occupation.value,
        "preferred_channel": profile.preferred_channel and profile.preferred_channel.value,
        "phase": customer.phase.value,
        "spend_band": band,
    }
    matching = [t for t in tree if t.matches(values)]
    if not matching:
        assert chosen is None
        return
    deepest = max(depth[t.territory_id] for t in matching)
    assert chosen == next(t for t in matching if depth[t.territory_id] == deepest)
