"""Every public entry point of crmcore, found by introspection.

An entry point is a public function, a public class's constructor or
class method, an enum's lookup, or a public method of a value built by
crmcore's own strategies. New public names are fuzzed without editing this
file; `test_every_public_name_is_fuzzed` fails if one is missed.
"""

import enum
import importlib
import inspect
from collections.abc import Callable
from typing import Any

import attrs
import pendulum
from hypothesis import strategies as st

from crmcore.analytics import plans
from crmcore.analytics.btyd import (
    BetaGeo,
    BetaGeoBetaBinom,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
)
from crmcore.policy import TablePolicy
from crmcore.testing import strategies as crm

MODULES = (
    "crmcore",
    "crmcore.analytics",
    "crmcore.analytics.vendors",
    "crmcore.analytics.btyd",
    "crmcore.analytics.plans",
    "crmcore.policy",
    "crmcore.rendering",
    "crmcore.commands",
    "crmcore.services",
    "crmcore.adapters.memory",
    "crmcore.adapters.clock",
    "crmcore.adapters.ids",
    "crmcore.adapters.converters",
    "crmcore.adapters.engines",
)


def _instances() -> dict[type, st.SearchStrategy[Any]]:
    from crmcore import (
        Actor,
        AssignmentRule,
        BusinessCalendar,
        Campaign,
        CommissionPlan,
        CommissionPlanRecord,
        Complaint,
        Condition,
        Contract,
        Customer,
        Interaction,
        Money,
        Opportunity,
        Period,
        Pipeline,
        Profile,
        Quota,
        ServiceContract,
        Stage,
        StatusSet,
        Territory,
        Tier,
    )
    from crmcore.analytics import ContactRecord, SlaPolicy, SurveyAnswer
    from crmcore.policy import DEFAULT_POLICY

    return {
        Money: crm.money(),
        Stage: crm.stages(),
        Pipeline: crm.pipelines(),
        Opportunity: crm.opportunities(),
        Customer: crm.customers(),
        Profile: crm.profiles(),
        Interaction: crm.interactions(),
        Contract: crm.contracts(),
        ServiceContract: crm.service_contracts(),
        Complaint: crm.complaints(),
        Campaign: crm.campaigns(),
        StatusSet: crm.status_sets(),
        Actor: crm.actors(),
        TablePolicy: st.just(DEFAULT_POLICY),
        Period: crm.periods(),
        BusinessCalendar: crm.business_calendars(),
        SlaPolicy: crm.sla_policies(),
        ContactRecord: crm.contact_records(),
        SurveyAnswer: crm.survey_answers(),
        Territory: crm.territory_records(),
        Condition: crm.conditions(),
        AssignmentRule: crm.assignment_rules(),
        Quota: crm.quotas(),
        Tier: crm.tiers(),
        CommissionPlan: crm.commission_plans(),
        CommissionPlanRecord: crm.commission_plan_records(),
        BetaGeo: st.just(BetaGeo(r=0.24, alpha=4.41, a=0.79, b=2.43)),
        GammaGamma: st.just(GammaGamma(p=6.25, q=3.74, v=15.44)),
        ModifiedBetaGeo: st.just(ModifiedBetaGeo(r=0.525, alpha=6.183, a=0.891, b=1.614)),
        ParetoNBD: st.just(ParetoNBD(r=0.553, alpha=10.58, s=0.606, beta=11.67)),
        BetaGeoBetaBinom: st.just(
            BetaGeoBetaBinom(alpha=1.204, beta=0.75, gamma=0.657, delta=2.783)
        ),
        **_plans(),
    }


def _plans() -> dict[type, st.SearchStrategy[Any]]:
    """One plan of each kind (their methods only write SQL and read rows)."""
    values: dict[str, Any] = {"key": "k", "value": "v"}
    transactions: dict[str, Any] = {
        "customer": "c", "at": "at", "amount": "a", "currency": "EUR",
    }  # fmt: skip
    end: dict[str, Any] = {"observation_end": pendulum.date(2030, 1, 31)}
    return {
        plans.AbcPlan: st.just(plans.abc_plan("t", **values)),
        plans.ParetoPlan: st.just(plans.pareto_plan("t", **values)),
        plans.GiniPlan: st.just(plans.gini_plan("t", **values)),
        plans.LorenzPlan: st.just(plans.lorenz_plan("t", **values)),
        plans.RfmPlan: st.just(
            plans.rfm_plan("t", **transactions, as_of=pendulum.date(2030, 1, 31))
        ),
        plans.RfmSummaryPlan: st.just(plans.rfm_summary_plan("t", **transactions, **end)),
        plans.BtydTriplesPlan: st.just(plans.btyd_triples_plan("t", **transactions, **end)),
        plans.WeightedPipelinePlan: st.just(
            plans.weighted_pipeline_plan("t", amount="a", currency="c", probability="p")
        ),
    }


# What analytics return. Their constructors take what crmcore's own functions
# pass them and check nothing (docs/quality.md): the fuzz suite calls them with
# arbitrary arguments, but uses only results that crmcore built.
RESULTS = frozenset(
    {
        "AbcClass", "AbcResult", "ClvPrediction", "ClvPredictions", "ClvResult",
        "Comparison", "Coverage", "Crossing", "DurationStats", "FlipPoint", "FlowValue",
        "Forecast", "HistoricalValue", "LeaveOneOut", "ParetoResult", "RfmResult",
        "RfmScore", "RfmSummaries", "RfmSummary", "SalesCycle", "SalesVelocity",
        "ScoreLine", "Segmentation", "StageConversion", "StaleOpportunity",
        "VendorRanking", "VendorScore", "WeightedPipeline", "WinRate",
        "AgentLoad", "CohortTable", "ContactCentreReport", "ErlangC", "MilestoneStatus",
        "Retention", "SatisfactionSummary", "ScorecardResult", "SlaCounts", "SlaReport",
        "SlaStatus", "Staffing", "CampaignReport", "CampaignComparison", "Attribution",
        "Attainment", "CategoryForecast", "QuotaForecast", "CommissionLine",
        "OwnerCommission", "CommissionStatement", "FitInfo", "CalibrationHoldout", "HoldoutRow",
        "HoldoutBin",
    }
)  # fmt: skip


@attrs.frozen
class EntryPoint:
    """One thing a user can call: ``resolve(data)`` gives the callable."""

    name: str
    resolve: Callable[[st.DataObject], Callable[..., Any]]
    enum_lookup: bool = False
    builds_result: bool = False

    def __str__(self) -> str:
        return self.name


def public_names() -> dict[str, object]:
    """Qualified name → object, for every public name of the fuzzed modules."""
    found: dict[str, object] = {}
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        names = getattr(module, "__all__", None)
        if names is None:
            names = [
                n
                for n, v in vars(module).items()
                if not n.startswith("_") and getattr(v, "__module__", None) == module_name
            ]
        for name in names:
            found[f"{module_name}.{name}"] = getattr(module, name)
    return found


def _is_protocol(cls: type) -> bool:
    return bool(getattr(cls, "_is_protocol", False))


def _fixed(target: Callable[..., Any]) -> Callable[[st.DataObject], Callable[..., Any]]:
    return lambda _data: target


def _method(strategy: st.SearchStrategy[Any], name: str) -> Callable[[st.DataObject], Any]:
    return lambda data: getattr(data.draw(strategy, label="self"), name)


def public_methods(cls: type) -> list[str]:
    """Public methods and properties of ``cls`` (its own and inherited from crmcore)."""
    names = []
    for name in dir(cls):
        if name.startswith("_"):
            continue
        attribute = inspect.getattr_static(cls, name)
        if isinstance(attribute, classmethod | staticmethod) or inspect.ismethoddescriptor(
            attribute
        ):
            continue  # class-level, or a builtin such as BaseException.add_note
        owner = next(c for c in cls.__mro__ if name in vars(c))
        if not owner.__module__.startswith("crmcore"):
            continue  # inherited from a library (cattrs.Converter ...)
        if callable(attribute) or isinstance(attribute, property):
            names.append(name)
    return names


def entry_points() -> list[EntryPoint]:
    points: dict[str, EntryPoint] = {}
    instances = _instances()
    seen: set[int] = set()
    for qualified, value in public_names().items():
        if id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, type):
            if _is_protocol(value):
                continue
            if issubclass(value, enum.Enum):
                points[qualified] = EntryPoint(qualified, _fixed(value), enum_lookup=True)
                continue
            points[qualified] = EntryPoint(
                qualified, _fixed(value), builds_result=value.__name__ in RESULTS
            )
            for name, attribute in vars(value).items():
                if not name.startswith("_") and isinstance(attribute, classmethod | staticmethod):
                    target = getattr(value, name)
                    points[f"{qualified}.{name}"] = EntryPoint(
                        f"{qualified}.{name}", _fixed(target)
                    )
            if value in instances:
                for name in public_methods(value):
                    if isinstance(inspect.getattr_static(value, name), property):
                        continue  # properties are read by the result checks
                    points[f"{qualified}().{name}"] = EntryPoint(
                        f"{qualified}().{name}", _method(instances[value], name)
                    )
        elif callable(value):
            points[qualified] = EntryPoint(qualified, _fixed(value))
    return sorted(points.values(), key=lambda p: p.name)
