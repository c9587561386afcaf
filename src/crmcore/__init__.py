"""crmcore: a pure-domain, exact and typed customer relationship management kernel.

This module re-exports the public names; code inside the package never
imports it.
"""

from crmcore.domain.money import Money
from crmcore.domain.opportunities import (
    Opportunity,
    OpportunityAmountChanged,
    OpportunityCloseDateChanged,
    OpportunityLost,
    OpportunityOpened,
    OpportunityProbabilityOverridden,
    OpportunityReopened,
    OpportunityStageChanged,
    OpportunityWon,
    StageVisit,
)
from crmcore.domain.pipeline import (
    DEFAULT_PIPELINE,
    HUBSPOT_PIPELINE,
    SALESFORCE_PIPELINE,
    ForecastCategory,
    Pipeline,
    Stage,
    StageKind,
)
from crmcore.errors import (
    AlreadyExistsError,
    ConcurrencyError,
    CrmError,
    CurrencyMismatchError,
    DomainError,
    InvalidTransitionError,
    NotFoundError,
    RepositoryError,
    ValidationError,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_PIPELINE",
    "HUBSPOT_PIPELINE",
    "SALESFORCE_PIPELINE",
    "AlreadyExistsError",
    "ConcurrencyError",
    "CrmError",
    "CurrencyMismatchError",
    "DomainError",
    "ForecastCategory",
    "InvalidTransitionError",
    "Money",
    "NotFoundError",
    "Opportunity",
    "OpportunityAmountChanged",
    "OpportunityCloseDateChanged",
    "OpportunityLost",
    "OpportunityOpened",
    "OpportunityProbabilityOverridden",
    "OpportunityReopened",
    "OpportunityStageChanged",
    "OpportunityWon",
    "Pipeline",
    "RepositoryError",
    "Stage",
    "StageKind",
    "StageVisit",
    "ValidationError",
]
