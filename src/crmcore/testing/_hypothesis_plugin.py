"""Registers strategies for crmcore's own types with Hypothesis.

Loaded through the ``hypothesis`` entry point when Hypothesis is imported.
The strategies module is imported lazily, when a strategy is first drawn, so
that importing Hypothesis never imports crmcore's strategies (and so can
never cause a circular import).
"""

from typing import Any


def _lazy(name: str, **arguments: Any) -> Any:
    import hypothesis.strategies as st

    def build() -> Any:
        from crmcore.testing import strategies

        return getattr(strategies, name)(**arguments)

    return st.deferred(build)


def _hypothesis_setup_hook() -> None:
    import hypothesis.strategies as st

    from crmcore.analytics.contact_centre import ContactRecord
    from crmcore.analytics.satisfaction import SurveyAnswer
    from crmcore.analytics.service_levels import SlaPolicy, SlaTarget
    from crmcore.domain.calendars import BusinessCalendar
    from crmcore.domain.campaigns import Campaign, MemberStatus, StatusSet
    from crmcore.domain.commissions import CommissionPlan, CommissionPlanRecord, Tier
    from crmcore.domain.complaints import Complaint
    from crmcore.domain.contracts import Contract, ServiceContract
    from crmcore.domain.customers import Customer, Interaction, Profile
    from crmcore.domain.money import Money
    from crmcore.domain.opportunities import Opportunity
    from crmcore.domain.ownership import Actor
    from crmcore.domain.periods import Period
    from crmcore.domain.pipeline import Pipeline, Stage
    from crmcore.domain.quotas import Quota
    from crmcore.domain.territories import AssignmentRule, Condition, Territory

    for cls, strategy in (
        (Money, "money"),
        (Stage, "stages"),
        (Pipeline, "pipelines"),
        (Opportunity, "opportunities"),
        (Customer, "customers"),
        (Profile, "profiles"),
        (Interaction, "interactions"),
        (Contract, "contracts"),
        (ServiceContract, "service_contracts"),
        (Complaint, "complaints"),
        (Campaign, "campaigns"),
        (StatusSet, "status_sets"),
        (MemberStatus, "member_statuses"),
        (Actor, "actors"),
        (Period, "periods"),
        (BusinessCalendar, "business_calendars"),
        (SlaPolicy, "sla_policies"),
        (SlaTarget, "sla_targets"),
        (ContactRecord, "contact_records"),
        (SurveyAnswer, "survey_answers"),
        (Condition, "conditions"),
        (Territory, "territory_records"),
        (Tier, "tiers"),
        (AssignmentRule, "assignment_rules"),
        (Quota, "quotas"),
        (CommissionPlan, "commission_plans"),
        (CommissionPlanRecord, "commission_plan_records"),
    ):
        st.register_type_strategy(cls, _lazy(strategy))
    from crmcore.commands import COMMANDS

    for command in COMMANDS:
        st.register_type_strategy(command, _lazy("commands", kinds=(command,)))
