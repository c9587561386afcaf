"""Hypothesis strategies for crmcore's values (public API).

Strategies are plural nouns with keyword-only bounds; every one generates
valid values only, within the limits the domain enforces.
"""

# ruff: noqa: E402 (the extra is checked before the third-party imports)
from crmcore.testing._extra import require

require("hypothesis", what="crmcore.testing.strategies")

import datetime as _dt
import functools
import itertools
from collections.abc import Callable, Hashable, Iterable
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

import attrs
import pendulum
from hypothesis import strategies as st

from crmcore.analytics.contact_centre import ContactRecord
from crmcore.analytics.satisfaction import SurveyAnswer
from crmcore.analytics.service_levels import PAUSABLE_STEPS, Milestone, SlaPolicy, SlaTarget
from crmcore.domain.calendars import BusinessCalendar
from crmcore.domain.campaigns import (
    DEFAULT_STATUSES,
    Campaign,
    CampaignStatus,
    MemberStatus,
    StatusSet,
)
from crmcore.domain.commissions import (
    CommissionBase,
    CommissionMode,
    CommissionPlan,
    CommissionPlanRecord,
    EarnedOn,
    Tier,
)
from crmcore.domain.complaints import STEPS, ComplainantType, Complaint, ComplaintLevel
from crmcore.domain.contracts import Contract, ServiceContract
from crmcore.domain.currencies import MINOR_UNITS
from crmcore.domain.customers import (
    Channel,
    Customer,
    CustomerType,
    Direction,
    Industry,
    Interaction,
    Occupation,
    Profile,
)
from crmcore.domain.kinds import RecordKind
from crmcore.domain.lifecycle import LifecyclePhase
from crmcore.domain.money import MAX_FRACTION_DIGITS, MAX_INTEGER_DIGITS, Money
from crmcore.domain.numbers import to_fraction
from crmcore.domain.opportunities import Opportunity
from crmcore.domain.ownership import Actor, Role
from crmcore.domain.periods import Period, PeriodUnit
from crmcore.domain.pipeline import DEFAULT_PIPELINE, ForecastCategory, Pipeline, Stage, StageKind
from crmcore.domain.quotas import Quota
from crmcore.domain.territories import AssignmentRule, Condition, RuleMatch, Territory
from crmcore.errors import ValidationError

if TYPE_CHECKING:
    from crmcore.commands import Command

_LIMIT = Fraction(10**MAX_INTEGER_DIGITS)
_REQUESTER = "user-requester"
_APPROVER = "user-approver"


_Params = ParamSpec("_Params")
_Strategy = TypeVar("_Strategy", bound=st.SearchStrategy[Any])
_CACHE_SIZE = 512


def _cached(
    build: Callable[_Params, _Strategy],
) -> Callable[_Params, _Strategy]:
    """``build``, remembering the strategy it returns for each set of arguments.

    Strategies are immutable, and Hypothesis checks each new one before its first
    draw: the composite strategies below call these builders on every draw, so
    without the cache most of a property test's time went into building and
    checking the same strategies again. Arguments that cannot be hashed are not
    cached; the cache keeps at most `_CACHE_SIZE` entries per builder.
    """
    cache: dict[Hashable, _Strategy] = {}

    @functools.wraps(build)
    def cached(*args: _Params.args, **kwargs: _Params.kwargs) -> _Strategy:
        # The types are part of the key: 1, 1.0 and True are equal but ask for
        # different strategies.
        key = (
            tuple((type(a), a) for a in args),
            tuple(sorted((k, type(v), v) for k, v in kwargs.items())),
        )
        try:
            found = cache.get(key)
        except TypeError:  # an unhashable argument
            return build(*args, **kwargs)
        if found is None:
            if len(cache) >= _CACHE_SIZE:
                cache.clear()
            found = cache[key] = build(*args, **kwargs)
        return found

    return cached


__all__ = [
    "actors",
    "aware_datetimes",
    "business_calendars",
    "campaigns",
    "commands",
    "complaints",
    "contact_records",
    "contracts",
    "currencies",
    "customers",
    "dates",
    "emails",
    "ids",
    "interactions",
    "member_statuses",
    "money",
    "names",
    "opportunities",
    "owners",
    "periods",
    "phones",
    "pipelines",
    "probabilities",
    "profiles",
    "service_contracts",
    "sla_policies",
    "sla_targets",
    "stages",
    "status_sets",
    "survey_answers",
    "team_ids",
    "teams",
    "texts",
    "user_ids",
]


@_cached
def currencies() -> st.SearchStrategy[str]:
    """Active ISO 4217 codes that `Money` accepts."""
    return st.sampled_from(sorted(MINOR_UNITS))


def _units(low: Fraction, high: Fraction, places: int) -> tuple[int, int]:
    """The smallest and largest multiples of 10**-places in [low, high], as units."""
    scale = 10**places
    return -((-low * scale).__floor__()), (high * scale).__floor__()  # ceil, floor


@_cached
@st.composite
def _amounts(
    draw: st.DrawFn, low: Fraction, high: Fraction, minor: int, places: int | str | None
) -> Decimal:
    if places is None:
        chosen = draw(
            st.one_of(st.just(minor), st.integers(min_value=0, max_value=MAX_FRACTION_DIGITS))
        )
        if _units(low, high, chosen)[0] > _units(low, high, chosen)[1]:
            chosen = MAX_FRACTION_DIGITS
    else:
        chosen = minor if places == "minor" else int(places)
    lowest, highest = _units(low, high, chosen)
    units = draw(st.integers(min_value=lowest, max_value=highest))
    return Decimal(f"{units}E-{chosen}")


@_cached
def money(
    *,
    currency: str | None = None,
    min_value: Decimal | int | str | None = None,
    max_value: Decimal | int | str | None = None,
    places: int | Literal["minor"] | None = None,
) -> st.SearchStrategy[Money]:
    """`Money` values within the domain's bounds.

    Args:
        currency: fix the currency; by default any known code.
        min_value: the smallest amount (inclusive); default the most negative
            amount Money allows.
        max_value: the largest amount (inclusive); default the largest amount.
        places: ``None`` (default): amounts with the currency's minor unit or
            any number of places up to 18; ``"minor"``: exactly the currency's
            minor unit (cents for EUR, none for JPY), what prices and
            payments hold; an int from 0 to 18: that many places at most.

    Raises:
        ValidationError: bad bounds, or bounds that hold no amount with the
            places asked for.
    """
    if (
        places is not None
        and places != "minor"
        and (type(places) is not int or not 0 <= places <= MAX_FRACTION_DIGITS)
    ):
        raise ValidationError(
            "places", "is not a number of places", allowed="None, 'minor' or 0 to 18"
        )
    low = to_fraction(min_value, "min_value") if min_value is not None else -_LIMIT + 1
    high = to_fraction(max_value, "max_value") if max_value is not None else _LIMIT - 1
    if low > high:
        raise ValidationError(
            "min_value", "is greater than max_value", allowed="min_value <= max_value"
        )

    def fits(code: str) -> bool:
        fixed = MINOR_UNITS[code] if places == "minor" else places
        if not isinstance(fixed, int):
            return True
        lowest, highest = _units(low, high, fixed)
        return lowest <= highest

    if currency is not None and currency not in MINOR_UNITS:
        raise ValidationError("currency", "is not a known code", allowed="an ISO 4217 code")
    codes = [currency] if currency is not None else sorted(MINOR_UNITS)
    usable = [code for code in codes if fits(code)]
    finest = _units(low, high, MAX_FRACTION_DIGITS)
    if not usable or finest[0] > finest[1]:
        raise ValidationError(
            "places",
            "leaves no amount between min_value and max_value",
            allowed="bounds that hold an amount with that many places",
        )
    pick = st.sampled_from(usable)
    return pick.flatmap(
        lambda code: _amounts(low, high, MINOR_UNITS[code], places).map(lambda a: Money(a, code))
    )


_OFFSETS = [_dt.timezone(_dt.timedelta(minutes=15 * k)) for k in range(-48, 57)]


@_cached
def aware_datetimes(
    *,
    # Naive bounds on purpose: Hypothesis bounds the wall time and adds the zone.
    min_value: _dt.datetime = _dt.datetime(1970, 1, 1),  # noqa: DTZ001
    max_value: _dt.datetime = _dt.datetime(2200, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[_dt.datetime]:
    """Timezone-aware datetimes (pendulum's UTC or fixed offsets from -12:00 to +14:00).

    Args:
        min_value: the earliest naive wall time.
        max_value: the latest naive wall time.
    """
    zones: st.SearchStrategy[_dt.tzinfo] = st.one_of(
        st.just(pendulum.UTC), st.sampled_from(_OFFSETS)
    )
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=zones)


@_cached
def dates(
    *,
    min_value: _dt.date = _dt.date(1970, 1, 1),
    max_value: _dt.date = _dt.date(2200, 12, 31),
) -> st.SearchStrategy[pendulum.Date]:
    """Calendar dates as `pendulum.Date`."""
    return st.dates(min_value=min_value, max_value=max_value).map(
        lambda d: pendulum.Date(d.year, d.month, d.day)
    )


@_cached
def ids(*, prefix: str = "") -> st.SearchStrategy[str]:
    """Valid ids (1 to 128 printable characters without whitespace)."""
    alphabet = st.characters(
        codec="utf-8", exclude_categories=("Z", "C")
    )  # no separators (whitespace) and no control characters
    limit = 128 - len(prefix)
    return st.text(alphabet, min_size=1, max_size=min(limit, 20)).map(lambda t: prefix + t)


@_cached
def user_ids() -> st.SearchStrategy[str]:
    """User ids (owners, actors): valid ids starting with ``user-``."""
    return ids(prefix="user-")


@_cached
def team_ids() -> st.SearchStrategy[str]:
    """Team ids: valid ids starting with ``team-``."""
    return ids(prefix="team-")


@_cached
def owners() -> st.SearchStrategy[str | None]:
    """A record's owner: a user id or ``None`` (unassigned)."""
    return st.none() | user_ids()


@_cached
def teams() -> st.SearchStrategy[str | None]:
    """A record's team: a team id or ``None`` (unassigned)."""
    return st.none() | team_ids()


@_cached
def actors(
    *,
    roles: st.SearchStrategy[Role] | None = None,
    users: st.SearchStrategy[str] | None = None,
    team_pool: st.SearchStrategy[str] | None = None,
    max_teams: int = 3,
    territory_pool: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy[Actor]:
    """Actors of any role in 0 to ``max_teams`` teams, managing 0 to 3 territories.

    Pass small pools (``st.sampled_from([...])``) for ``users``,
    ``team_pool`` and ``territory_pool`` to make actors and records meet.
    """
    return st.builds(
        Actor,
        user_id=users if users is not None else user_ids(),
        role=roles if roles is not None else st.sampled_from(Role),
        teams=st.frozensets(team_pool if team_pool is not None else team_ids(), max_size=max_teams),
        territories=st.frozensets(
            territory_pool if territory_pool is not None else ids(prefix="terr-"), max_size=3
        ),
    )


@_cached
def probabilities(*, places: int = 4) -> st.SearchStrategy[Decimal]:
    """Decimals in [0, 1] with at most ``places`` fractional digits."""
    scale = 10**places
    return st.integers(min_value=0, max_value=scale).map(lambda n: Decimal(f"{n}E-{places}"))


_STAGE_NAMES = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)


@_cached
def stages(*, kind: StageKind | None = None, gated: bool = False) -> st.SearchStrategy[Stage]:
    """Valid stages; open ones by default get any probability and open category.

    Args:
        kind: fix the kind of stage.
        gated: let some stages require approval (by default none does).
    """
    chosen = st.just(kind) if kind is not None else st.sampled_from(StageKind)
    approval = st.booleans() if gated else st.just(False)

    def build(stage_kind: StageKind) -> st.SearchStrategy[Stage]:
        if stage_kind is StageKind.OPEN:
            return st.builds(
                Stage,
                name=_STAGE_NAMES,
                probability=probabilities(),
                kind=st.just(stage_kind),
                forecast_category=st.sampled_from(
                    [c for c in ForecastCategory if c is not ForecastCategory.CLOSED]
                ),
                stale_after_days=st.none() | st.integers(min_value=1, max_value=120),
                requires_approval=approval,
            )
        probability = Decimal(1) if stage_kind is StageKind.WON else Decimal(0)
        return st.builds(
            Stage,
            name=_STAGE_NAMES,
            probability=st.just(probability),
            kind=st.just(stage_kind),
            requires_approval=approval,
        )

    return chosen.flatmap(build)


@_cached
@st.composite
def pipelines(
    draw: st.DrawFn, *, min_open: int = 1, max_open: int = 8, gated: bool = False
) -> Pipeline:
    """Valid pipelines: ``min_open`` to ``max_open`` open stages, one won and one
    lost stage, at any positions; with ``gated``, some stages require approval
    (never the first open stage, where opportunities open)."""
    opened = draw(
        st.lists(
            stages(kind=StageKind.OPEN, gated=gated),
            min_size=min_open,
            max_size=max_open,
            unique_by=lambda s: s.name,
        )
    )
    # opportunities open in the first open stage, which therefore needs no approval
    opened[0] = attrs.evolve(opened[0], requires_approval=False)
    names = {s.name for s in opened}
    won = draw(stages(kind=StageKind.WON, gated=gated).filter(lambda s: s.name not in names))
    lost = draw(
        stages(kind=StageKind.LOST, gated=gated).filter(lambda s: s.name not in names | {won.name})
    )
    ordered = list(opened)
    for closing in (won, lost):
        ordered.insert(draw(st.integers(min_value=0, max_value=len(ordered))), closing)
    return Pipeline(ordered, name="generated")


@_cached
@st.composite
def opportunities(
    draw: st.DrawFn,
    *,
    pipeline: Pipeline | None = None,
    currency: str | None = None,
    max_commands: int = 8,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
    gated: bool = False,
    campaign_id: st.SearchStrategy[str | None] | None = None,
) -> Opportunity:
    """Opportunities built by a random valid sequence of commands from `Opportunity.open`.

    Gated stages are entered through an approval (requested by one user,
    approved by another), and the result may hold a pending or approved request.

    Args:
        pipeline: fix the pipeline; by default a generated one.
        currency: fix the amount's currency; by default any.
        max_commands: the most commands applied after opening.
        owner: strategy for the owner; by default `owners`.
        team: strategy for the team; by default `teams`.
        gated: generate pipelines in which some stages require approval
            (ignored when ``pipeline`` is given); by default none does.
        campaign_id: strategy for the sourcing campaign; by default None or
            a ``camp-`` id.
    """
    chosen = pipeline if pipeline is not None else draw(pipelines(gated=gated))
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    opportunity = Opportunity.open(
        opportunity_id=draw(ids(prefix="opp-")),
        customer_id=draw(ids(prefix="cust-")),
        title=draw(_STAGE_NAMES),
        amount=draw(money(currency=currency, min_value=0, max_value=10**9)),
        at=at,
        pipeline=chosen,
        owner=draw(owner if owner is not None else owners()),
        team=draw(team if team is not None else teams()),
        campaign_id=draw(
            campaign_id if campaign_id is not None else st.none() | ids(prefix="camp-")
        ),
    )
    for _ in range(draw(st.integers(min_value=0, max_value=max_commands))):
        at = at + draw(st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(days=60)))
        if opportunity.is_won:
            break
        if opportunity.is_lost:
            opportunity = opportunity.reopen(at=at)
            continue
        others = [s.name for s in chosen.open_stages if s.name != opportunity.stage_name]
        command = draw(
            st.sampled_from(["move", "win", "lose", "override", "close_date", "approval"])
        )
        if command == "move" and others:
            target = draw(st.sampled_from(others))
            opportunity = _approved(opportunity, target, at).move_to(target, at=at)
        elif command == "win":
            opportunity = _approved(opportunity, chosen.won_stage.name, at).win(at=at)
        elif command == "lose":
            lost = chosen.lost_stage.name
            opportunity = _approved(opportunity, lost, at).lose(at=at, reason="generated")
        elif command == "override":
            opportunity = opportunity.override_probability(draw(probabilities()), at=at)
        elif command == "close_date":
            opportunity = opportunity.change_expected_close(draw(dates()), at=at)
        elif command == "approval":
            opportunity = _approval_step(draw, opportunity, at)
    return opportunity.without_events()


def _approved(opportunity: Opportunity, stage_name: str, at: _dt.datetime) -> Opportunity:
    """``opportunity`` ready to enter ``stage_name``: approved if the stage is gated."""
    if not opportunity.pipeline.stage(stage_name).requires_approval:
        return opportunity
    request = opportunity.approval
    if request is not None and request.is_approved and request.stage_name == stage_name:
        return opportunity
    if request is not None and request.is_pending:
        opportunity = opportunity.reject(by=_APPROVER, at=at, reason="generated")
    requested = opportunity.request_approval(stage_name, by=_REQUESTER, at=at)
    return requested.approve(by=_APPROVER, at=at)


def _approval_step(draw: st.DrawFn, opportunity: Opportunity, at: _dt.datetime) -> Opportunity:
    """Request an approval, or decide the pending request, if there is one to make."""
    request = opportunity.approval
    if request is not None and request.is_pending:
        if draw(st.booleans()):
            return opportunity.approve(by=_APPROVER, at=at)
        return opportunity.reject(by=_APPROVER, at=at, reason="generated")
    gated = [
        s.name
        for s in opportunity.pipeline
        if s.requires_approval and s.name != opportunity.stage_name
    ]
    if not gated:
        return opportunity
    return opportunity.request_approval(draw(st.sampled_from(gated)), by=_REQUESTER, at=at)


@_cached
def names() -> st.SearchStrategy[str]:
    """Personal names: any non-blank text of at most 200 characters (unicode included)."""
    return st.text(min_size=1, max_size=60).filter(lambda t: bool(t.strip()))


@_cached
def texts() -> st.SearchStrategy[str]:
    """Free texts (subjects, notes): non-blank, no surrounding whitespace."""
    return names().map(str.strip)


@_cached
def emails() -> st.SearchStrategy[str]:
    """E-mail addresses that `Profile` accepts."""
    part = st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1, max_size=12)
    return st.builds(lambda a, b, c: f"{a}@{b}.{c}", part, part, part)


@_cached
def phones() -> st.SearchStrategy[str]:
    """Phone numbers that `Profile` accepts."""
    return st.from_regex(r"\+?[0-9]{3,4}( [0-9]{2,4}){1,3}", fullmatch=True)


@_cached
def profiles() -> st.SearchStrategy[Profile]:
    """Profiles with any combination of attributes set."""
    return st.builds(
        Profile,
        industry=st.none() | st.sampled_from(Industry),
        customer_type=st.none() | st.sampled_from(CustomerType),
        occupation=st.none() | st.sampled_from(Occupation),
        birth_date=st.none()
        | dates(min_value=_dt.date(1920, 1, 1), max_value=_dt.date(2015, 12, 31)),
        region=st.none() | st.sampled_from(["North", "South", "Hà Nội", "台北"]),
        preferred_channel=st.none() | st.sampled_from(Channel),
        email=st.none() | emails(),
        phone=st.none() | phones(),
    )


@_cached
def interactions(
    *,
    min_value: _dt.datetime = _dt.datetime(2000, 1, 1),  # noqa: DTZ001
) -> st.SearchStrategy[Interaction]:
    """Interactions on any channel, either direction."""
    return st.builds(
        Interaction,
        channel=st.sampled_from(Channel),
        direction=st.sampled_from(Direction),
        at=aware_datetimes(min_value=min_value, max_value=_dt.datetime(2100, 1, 1)),  # noqa: DTZ001
        subject=texts(),
    )


_STEP = st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(days=90))


@_cached
@st.composite
def customers(
    draw: st.DrawFn,
    *,
    max_commands: int = 10,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
) -> Customer:
    """Customers built by a random valid sequence of lifecycle commands.

    ``owner`` and ``team`` default to `owners` and `teams`.
    """
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    customer = Customer.prospect(
        customer_id=draw(ids(prefix="cust-")),
        name=draw(names()),
        at=at,
        profile=draw(st.none() | profiles()),
        owner=draw(owner if owner is not None else owners()),
        team=draw(team if team is not None else teams()),
    )
    counter = 0
    for _ in range(draw(st.integers(min_value=0, max_value=max_commands))):
        at = at + draw(_STEP)
        options = ["interact"]
        if customer.phase.name in ("ACQUISITION", "CONTRACT", "AFTER_SALES"):
            options.append("enter")
        if customer.open_contracts:
            options.append("end")
        if customer.phase.name in ("ACQUISITION", "AFTER_SALES"):
            options.append("lose")
        if customer.phase.name == "LOST":
            options.append("win_back")
        command = draw(st.sampled_from(options))
        if command == "enter":
            counter += 1
            customer = customer.enter_contract(at=at, contract_id=f"k-{counter}")
        elif command == "end":
            contract = draw(st.sampled_from(customer.open_contracts))
            customer = customer.end_contract(
                at=at, contract_id=contract, fulfilled=draw(st.booleans())
            )
        elif command == "lose":
            customer = customer.lose(at=at, reason="generated")
        elif command == "win_back":
            customer = customer.win_back(at=at)
        else:
            customer = customer.log_interaction(
                Interaction(
                    channel=Channel.PHONE,
                    direction=Direction.INBOUND,
                    at=pendulum.instance(at),
                    subject="call",
                )
            )
    return customer.without_events()


@_cached
@st.composite
def contracts(
    draw: st.DrawFn,
    *,
    currency: str | None = None,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
) -> Contract:
    """Contracts signed, then perhaps delivered, paid in parts, or cancelled.

    ``owner`` and ``team`` default to `owners` and `teams`.
    """
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    amount = draw(money(currency=currency, min_value=1, max_value=10**9)).rounded()
    contract = Contract.sign(
        contract_id=draw(ids(prefix="k-")),
        customer_id=draw(ids(prefix="cust-")),
        opportunity_id=draw(ids(prefix="opp-")),
        amount=amount,
        at=at,
        owner=draw(owner if owner is not None else owners()),
        team=draw(team if team is not None else teams()),
    )
    shares = amount.allocate(draw(st.lists(st.integers(1, 5), min_size=1, max_size=4)))
    parts = [part for part in shares if not part.is_zero()]
    paid = draw(st.integers(min_value=0, max_value=len(parts)))
    for part in parts[:paid]:
        at = at + draw(_STEP)
        contract = contract.pay(part, at=at)
    if not contract.is_fulfilled and draw(st.booleans()):
        contract = contract.deliver(at=at + draw(_STEP))
    if contract.is_open and draw(st.booleans()):
        contract = contract.cancel(at=contract.changed_at, reason="generated")
    if not contract.paid.is_zero() and draw(st.booleans()):
        refund = draw(st.sampled_from(contract.paid.allocate([1, draw(st.integers(0, 3))])))
        if not refund.is_zero():
            contract = contract.refund(refund, at=contract.changed_at + draw(_STEP))
    if draw(st.booleans()):
        margin = draw(money(currency=amount.currency, min_value=0, max_value=amount.amount))
        contract = attrs.evolve(contract, margin=margin)
    return contract.without_events()


@_cached
def service_contracts(
    *,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
) -> st.SearchStrategy[ServiceContract]:
    """Service contracts on any start date (month ends and 29 February included).

    ``owner`` and ``team`` default to `owners` and `teams`.
    """
    return st.builds(
        lambda **kw: ServiceContract.start(**kw).without_events(),
        contract_id=ids(prefix="svc-"),
        customer_id=ids(prefix="cust-"),
        starts=dates(min_value=_dt.date(1970, 1, 1), max_value=_dt.date(2100, 12, 31)),
        term_months=st.integers(min_value=1, max_value=60),
        auto_renew=st.booleans(),
        notice_days=st.integers(min_value=0, max_value=120),
        price=money(min_value=1, max_value=10**6),
        at=aware_datetimes(),
        owner=owner if owner is not None else owners(),
        team=team if team is not None else teams(),
    )


@_cached
@st.composite
def complaints(
    draw: st.DrawFn,
    *,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
) -> Complaint:
    """Complaints at any handling step, perhaps compensated and closed.

    ``owner`` and ``team`` default to `owners` and `teams`.
    """
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    complaint = Complaint.receive(
        complaint_id=draw(ids(prefix="cmp-")),
        customer_id=draw(ids(prefix="cust-")),
        channel=draw(st.sampled_from(Channel)),
        level=draw(st.sampled_from(ComplaintLevel)),
        complainant_type=draw(st.sampled_from(ComplainantType)),
        subject=draw(texts()),
        at=at,
        owner=draw(owner if owner is not None else owners()),
        team=draw(team if team is not None else teams()),
    )
    for step in STEPS[1 : 1 + draw(st.integers(min_value=0, max_value=4))]:
        at = at + draw(_STEP)
        complaint = complaint.advance(step, at=at)
    if draw(st.booleans()):
        complaint = complaint.compensate(
            draw(money(currency="EUR", min_value=1, max_value=1000)), at=at
        )
    if complaint.current_step is STEPS[4] and draw(st.booleans()):
        complaint = complaint.close(at=at, satisfaction=draw(st.integers(min_value=1, max_value=5)))
    return complaint.without_events()


# Commands -----------------------------------------------------------------------------


def _command_fields(record_ids: st.SearchStrategy[str]) -> dict[str, st.SearchStrategy[Any]]:
    """A strategy for each field name the commands use."""
    stage_names = st.sampled_from([s.name for s in DEFAULT_PIPELINE.open_stages])
    return {
        "at": aware_datetimes(),
        "customer_id": record_ids,
        "opportunity_id": record_ids,
        "contract_id": record_ids,
        "service_contract_id": record_ids,
        "complaint_id": record_ids,
        "record_id": record_ids,
        "name": names(),
        "profile": profiles(),
        "owner": owners(),
        "team": teams(),
        "channel": st.sampled_from(Channel),
        "direction": st.sampled_from(Direction),
        "level": st.sampled_from(ComplaintLevel),
        "complainant_type": st.sampled_from(ComplainantType),
        "step": st.sampled_from(STEPS[1:-1]),
        "subject": texts(),
        "reason": texts(),
        "title": texts(),
        "note": st.just("") | texts(),
        "amount": money(min_value=Decimal("0.01"), max_value=10**9),
        "price": money(min_value=Decimal("0.01"), max_value=10**9),
        "pipeline": st.just(DEFAULT_PIPELINE),
        "expected_close": st.none() | dates(),
        "stage": stage_names,
        "starts": dates(max_value=_dt.date(2100, 12, 31)),
        "term_months": st.integers(min_value=1, max_value=1200),
        "notice_days": st.integers(min_value=0, max_value=3650),
        "auto_renew": st.booleans(),
        "response_target": st.none()
        | st.timedeltas(min_value=_dt.timedelta(minutes=1), max_value=_dt.timedelta(days=365)),
        "satisfaction": st.integers(min_value=1, max_value=5),
        "kind": st.sampled_from(RecordKind),
        "campaign_id": record_ids,
        "customer_ids": st.lists(record_ids, min_size=1, max_size=4, unique=True).map(tuple),
        "period": st.tuples(dates(max_value=_dt.date(2100, 12, 31)), st.integers(0, 90)).map(
            lambda p: (p[0], p[0].add(days=p[1]))
        ),
        "budget": money(min_value=0, max_value=10**9),
        "expected_response": st.none()
        | st.fractions(min_value=0, max_value=1, max_denominator=1000),
        "expected_revenue": st.none() | money(min_value=0, max_value=10**9),
        "statuses": status_sets(),
        "status": st.sampled_from(DEFAULT_STATUSES.names),
        "territory_id": record_ids,
        "parent_id": st.none() | record_ids,
        "rules": st.lists(assignment_rules(), max_size=3).map(tuple),
        "territory": st.none() | record_ids,
        "quota_id": record_ids,
        "target": quota_targets(),
        "plan": commission_plans(),
        "margin": st.none() | money(min_value=0, max_value=0),
    }


def _command_overrides() -> "dict[str, dict[str, st.SearchStrategy[Any]]]":
    """Field strategies for one command class, where a name means something else."""
    return {
        "SetQuota": {"period": periods(), "owner": user_ids()},
        "AssignTerritory": {"territory_id": st.none() | ids()},
    }


@_cached
def commands(
    *,
    kinds: "Iterable[type[Command[Any]]] | None" = None,
    record_ids: st.SearchStrategy[str] | None = None,
) -> st.SearchStrategy["Command[Any]"]:
    """Valid command values (`crmcore.commands`): every field within its rules.

    Args:
        kinds: the command classes to draw from (default: every one).
        record_ids: the ids commands name (default `ids`; pass a small pool
            so that some commands find their records).
    """
    from crmcore.commands import COMMANDS

    fields = _command_fields(ids() if record_ids is None else record_ids)
    overrides = _command_overrides()
    chosen = tuple(COMMANDS if kinds is None else kinds)
    return st.one_of(
        [
            st.builds(
                cls,
                **{
                    f.name: overrides.get(cls.__name__, {}).get(f.name, fields[f.name])
                    for f in attrs.fields(cls)
                },
            )
            for cls in chosen
        ]
    )


# Campaigns ----------------------------------------------------------------------------


@_cached
@st.composite
def status_sets(draw: st.DrawFn) -> StatusSet:
    """Valid member status sets: 1 to 8 statuses with unique names, one default
    (not terminal) and at least one responded status; sometimes `DEFAULT_STATUSES`."""
    if draw(st.booleans()):
        return DEFAULT_STATUSES
    names = draw(st.lists(st.sampled_from(_STATUS_NAMES), min_size=1, max_size=8, unique=True))
    default = draw(st.integers(min_value=0, max_value=len(names) - 1))
    responded = draw(st.integers(min_value=0, max_value=len(names) - 1))
    statuses = [
        MemberStatus(
            name,
            responded=i == responded or draw(st.booleans()),
            terminal=i != default and draw(st.integers(0, 3)) == 0,
            reached=draw(st.integers(0, 3)) != 0,
            default=i == default,
        )
        for i, name in enumerate(names)
    ]
    return StatusSet(tuple(statuses))


@_cached
def member_statuses() -> st.SearchStrategy[MemberStatus]:
    """Member statuses taken from valid status sets (`status_sets`)."""
    return status_sets().flatmap(lambda found: st.sampled_from(found.statuses))


_STATUS_NAMES = ("sent", "opened", "clicked", "registered", "attended", "responded",
                 "converted", "opted out", "bounced", "called back")  # fmt: skip


@_cached
@st.composite
def campaigns(
    draw: st.DrawFn,
    *,
    max_members: int = 6,
    max_commands: int = 12,
    owner: st.SearchStrategy[str | None] | None = None,
    team: st.SearchStrategy[str | None] | None = None,
    customer_ids: st.SearchStrategy[str] | None = None,
) -> Campaign:
    """Campaigns built by a random valid sequence of commands from `Campaign.plan`:
    members added, activated, statuses set (forward, repeated or terminal),
    costs booked, perhaps completed or aborted.

    Args:
        max_members: the most members.
        max_commands: the most commands after planning.
        owner: strategy for the owner; by default `owners`.
        team: strategy for the team; by default `teams`.
        customer_ids: strategy for the members' ids; by default ``cust-`` ids.
    """
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    currency = draw(st.sampled_from(["EUR", "USD", "JPY"]))
    first = pendulum.instance(at).date()
    campaign = Campaign.plan(
        campaign_id=draw(ids(prefix="camp-")),
        name=draw(names()),
        channel=draw(st.sampled_from(Channel)),
        period=(first, first.add(days=draw(st.integers(0, 90)))),
        budget=draw(money(currency=currency, min_value=0, max_value=10**6, places="minor")),
        at=at,
        expected_response=draw(st.none() | st.fractions(0, 1, max_denominator=100)),
        expected_revenue=draw(st.none() | money(currency=currency, min_value=0, max_value=10**7)),
        statuses=draw(status_sets()),
        owner=draw(owner if owner is not None else owners()),
        team=draw(team if team is not None else teams()),
    )
    member_ids = draw(
        st.lists(
            customer_ids if customer_ids is not None else ids(prefix="cust-"),
            max_size=max_members,
            unique=True,
        )
    )
    pending = list(member_ids)
    for _ in range(draw(st.integers(min_value=0, max_value=max_commands))):
        at = at + draw(_STEP)
        command = draw(st.sampled_from(["add", "activate", "status", "cost", "close"]))
        if command == "add" and pending and not campaign.is_closed:
            campaign = campaign.add_member(pending.pop(0), at=at)
        elif command == "activate" and campaign.status is CampaignStatus.PLANNED:
            campaign = campaign.activate(at=at)
        elif command == "status" and campaign.status is CampaignStatus.ACTIVE and campaign.members:
            chosen = draw(st.sampled_from(campaign.members))
            targets = [
                n for n in campaign.statuses.names if campaign.statuses.can_move(chosen.status, n)
            ]
            campaign = campaign.set_member_status(
                chosen.customer_id, draw(st.sampled_from(targets)), at=at
            )
        elif command == "cost":
            amount = draw(money(currency=currency, min_value=1, max_value=10**5, places="minor"))
            campaign = campaign.record_cost(amount, at=at)
        elif command == "close" and not campaign.is_closed:
            if campaign.status is CampaignStatus.ACTIVE and draw(st.booleans()):
                campaign = campaign.complete(at=at)
            else:
                campaign = campaign.abort(at=at)
    return campaign.without_events()


# Service levels, contact centres, satisfaction ------------------------------------------

_ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe")


@_cached
def periods(*, unit: str | None = None) -> st.SearchStrategy[Period]:
    """Months, quarters and years from 1970 to 2200 (``unit`` fixes the length)."""
    units = st.just(PeriodUnit(unit)) if unit is not None else st.sampled_from(PeriodUnit)
    counts = {PeriodUnit.MONTH: 12, PeriodUnit.QUARTER: 4, PeriodUnit.YEAR: 1}
    return units.flatmap(
        lambda u: st.builds(
            Period,
            st.just(u),
            st.integers(min_value=1970, max_value=2200),
            st.integers(min_value=1, max_value=counts[u]),
        )
    )


def _clock(minutes: int) -> _dt.time:
    """Minutes after midnight as a time of day (1440 is midnight at the day's end)."""
    return _dt.time((minutes // 60) % 24, minutes % 60)


@_cached
@st.composite
def business_calendars(draw: st.DrawFn) -> BusinessCalendar:
    """Calendars in zones with and without clock changes, with 1 to 7 open weekdays
    (some around the clock, some ending at midnight) and a few holidays."""
    days = draw(st.sets(st.integers(min_value=0, max_value=6), min_size=1))
    hours = {}
    for day in sorted(days):
        start = draw(st.integers(min_value=0, max_value=23 * 4)) * 15
        end = draw(st.integers(min_value=start // 15 + 1, max_value=24 * 4)) * 15
        hours[day] = (_clock(start), _clock(end))
    return BusinessCalendar(
        draw(st.sampled_from(_ZONES)),
        hours,
        draw(
            st.lists(
                dates(min_value=_dt.date(2000, 1, 1), max_value=_dt.date(2100, 1, 1)), max_size=5
            )
        ),
    )


@_cached
def sla_targets() -> st.SearchStrategy[SlaTarget]:
    """Targets of one minute to 30 days, for any or some levels, types and channels."""
    return st.builds(
        SlaTarget,
        milestone=st.sampled_from(Milestone),
        within=st.timedeltas(min_value=_dt.timedelta(minutes=1), max_value=_dt.timedelta(days=30)),
        level=st.none() | st.sampled_from(ComplaintLevel),
        complainant_type=st.none() | st.sampled_from(ComplainantType),
        channel=st.none() | st.sampled_from(Channel),
    )


@_cached
@st.composite
def sla_policies(draw: st.DrawFn) -> SlaPolicy:
    """Policies with up to four targets, any calendar, and some paused steps."""
    targets = draw(st.lists(sla_targets(), max_size=4))
    return SlaPolicy(
        targets=tuple(targets),
        calendar=draw(business_calendars()),
        paused_steps=draw(st.sets(st.sampled_from(sorted(PAUSABLE_STEPS, key=STEPS.index)))),
        complaint_targets=draw(st.booleans()),
    )


@_cached
@st.composite
def contact_records(draw: st.DrawFn, *, agents: int = 5) -> ContactRecord:
    """Answered and abandoned contacts with waits up to ten minutes, handled by one
    of ``agents`` agents."""
    offered = pendulum.instance(draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1))))  # noqa: DTZ001
    wait = draw(st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(minutes=10)))
    contact_id = draw(ids(prefix="call-"))
    if draw(st.booleans()):
        return ContactRecord(contact_id=contact_id, offered_at=offered, abandoned_at=offered + wait)
    return ContactRecord(
        contact_id=contact_id,
        offered_at=offered,
        answered_at=offered + wait,
        agent=f"agent-{draw(st.integers(min_value=1, max_value=agents))}",
        handle_time=draw(
            st.timedeltas(min_value=_dt.timedelta(0), max_value=_dt.timedelta(hours=1))
        ),
        transferred=draw(st.booleans()),
    )


@_cached
def survey_answers(*, scale: int = 5) -> st.SearchStrategy[SurveyAnswer]:
    """Survey answers on a 1-to-``scale`` scale (0 to 10 when ``scale`` is 10)."""
    return st.builds(
        SurveyAnswer,
        customer_id=ids(prefix="cust-"),
        answered_at=aware_datetimes(),
        score=st.integers(min_value=0 if scale == 10 else 1, max_value=scale),
    )


# Sales management: territories, quotas, commissions ---------------------------------------

_REGIONS = ("north", "south", "east", "west", "centre")


@_cached
def conditions() -> st.SearchStrategy[Condition]:
    """Conditions on a region, an ownership type, a customer type, the
    lifecycle phase, or a ``spend_band`` attribute."""
    return st.one_of(
        st.builds(
            Condition, st.just("region"), st.frozensets(st.sampled_from(_REGIONS), min_size=1)
        ),
        st.builds(
            Condition,
            st.just("industry"),
            st.frozensets(st.sampled_from([i.value for i in Industry]), min_size=1),
        ),
        st.builds(
            Condition,
            st.just("customer_type"),
            st.frozensets(st.sampled_from([t.value for t in CustomerType]), min_size=1),
        ),
        st.builds(
            Condition,
            st.just("phase"),
            st.frozensets(st.sampled_from([p.value for p in LifecyclePhase]), min_size=1),
        ),
        st.builds(
            Condition, st.just("spend_band"), st.frozensets(st.sampled_from("ABC"), min_size=1)
        ),
    )


@_cached
def assignment_rules() -> st.SearchStrategy[AssignmentRule]:
    """Rules of 1 to 3 conditions, ``all`` or ``any``."""
    return st.builds(
        AssignmentRule,
        st.lists(conditions(), min_size=1, max_size=3).map(tuple),
        st.sampled_from(RuleMatch),
    )


@_cached
@st.composite
def territories(
    draw: st.DrawFn,
    *,
    max_size: int = 8,
    team_pool: st.SearchStrategy[str] | None = None,
) -> tuple[Territory, ...]:
    """A territory tree: 1 to ``max_size`` territories with unique ids
    (``terr-0``, ``terr-1``, ...), each under an earlier one or a root, with
    0 to 2 rules each. A tuple, since a tree is several records.

    Args:
        max_size: the most territories.
        team_pool: strategy for the owner teams; by default `team_ids`.
    """
    at = draw(aware_datetimes(max_value=_dt.datetime(2100, 1, 1)))  # noqa: DTZ001
    count = draw(st.integers(min_value=1, max_value=max_size))
    found: list[Territory] = []
    for index in range(count):
        parent = draw(st.none() | st.sampled_from(found)) if found else None
        found.append(
            Territory.create(
                territory_id=f"terr-{index}",
                name=draw(names()),
                at=at,
                parent_id=None if parent is None else parent.territory_id,
                rules=draw(st.lists(assignment_rules(), max_size=2)),
                team=draw(team_pool if team_pool is not None else team_ids()),
            ).without_events()
        )
    return tuple(draw(st.permutations(found)))


@_cached
def territory_records(
    *, team_pool: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Territory]:
    """Single territories: a root or under some parent id, with 0 to 2 rules
    (`territories` draws whole trees)."""
    return st.builds(
        lambda territory_id, parent, rules, team, at: Territory.create(
            territory_id=territory_id,
            name="Territory",
            at=at,
            parent_id=None if parent == territory_id else parent,
            rules=rules,
            team=team,
        ).without_events(),
        ids(prefix="terr-"),
        st.none() | ids(prefix="terr-"),
        st.lists(assignment_rules(), max_size=2),
        team_pool if team_pool is not None else team_ids(),
        aware_datetimes(),
    )


@_cached
def tiers() -> st.SearchStrategy[Tier]:
    """Single tiers (bounds up to 10^7, open-ended or not; rates 0 to 20 %)."""
    return st.builds(
        lambda lower, width, rate: Tier(lower, None if width is None else lower + width, rate),
        st.integers(min_value=0, max_value=10**7),
        st.none() | st.integers(min_value=1, max_value=10**7),
        _RATES,
    )


@_cached
def quota_targets(*, currency: str | None = None) -> st.SearchStrategy[Money | int]:
    """Quota targets: Money of 0 to 10^9 (in ``currency``, if given) or 0 to 1,000 deals."""
    return money(currency=currency, min_value=0, max_value=10**9, places="minor") | (
        st.integers(min_value=0, max_value=1000)
    )


@_cached
def quotas(
    *,
    targets: st.SearchStrategy[Money | int] | None = None,
    period: st.SearchStrategy[Period] | None = None,
) -> st.SearchStrategy[Quota]:
    """Quotas for a user (with a team or not), a team or a territory, kept in a
    store or built by hand (``changed_at`` ``None``)."""
    who = st.one_of(
        st.fixed_dictionaries({"owner": user_ids(), "team": teams()}),
        st.fixed_dictionaries({"team": team_ids()}),
        st.fixed_dictionaries({"territory": ids(prefix="terr-"), "team": teams()}),
    )
    return st.builds(
        lambda quota_id, target, chosen, kw, at: Quota(
            quota_id, target, chosen, **kw, changed_at=at
        ),
        ids(prefix="quota-"),
        targets if targets is not None else quota_targets(),
        period if period is not None else periods(),
        who,
        st.none() | aware_datetimes(),
    )


_RATES = st.integers(min_value=0, max_value=2000).map(lambda r: Decimal(r).scaleb(-4))


@_cached
@st.composite
def commission_plans(
    draw: st.DrawFn, *, currency: str | None = None, max_tiers: int = 4
) -> CommissionPlan:
    """Plans of 1 to ``max_tiers`` tiers (rates 0 to 20 %, bounds up to 10^7)
    in any mode, base and timing."""
    code = draw(st.just(currency) if currency is not None else currencies())
    bounds = sorted(
        draw(st.sets(st.integers(min_value=1, max_value=10**7), max_size=max_tiers - 1))
    )
    edges = [0, *bounds, None]
    tiers = tuple(Tier(lower, upper, draw(_RATES)) for lower, upper in itertools.pairwise(edges))
    return CommissionPlan(
        code,
        tiers,
        mode=draw(st.sampled_from(CommissionMode)),
        base=draw(st.sampled_from(CommissionBase)),
        earned_on=draw(st.sampled_from(EarnedOn)),
    )


@_cached
def commission_plan_records() -> st.SearchStrategy[CommissionPlanRecord]:
    """Stored commission plans (`CommissionPlanRecord`)."""
    return st.builds(
        CommissionPlanRecord,
        plan_id=ids(prefix="plan-"),
        name=names(),
        plan=commission_plans(),
        owner=owners(),
        team=teams(),
        changed_at=aware_datetimes(),
    )
