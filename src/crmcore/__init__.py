"""crmcore: a pure-domain, exact and typed customer relationship management kernel.

This module re-exports the public names; code inside the package never
imports it.
"""

from crmcore.domain.money import Money
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
    "AlreadyExistsError",
    "ConcurrencyError",
    "CrmError",
    "CurrencyMismatchError",
    "DomainError",
    "InvalidTransitionError",
    "Money",
    "NotFoundError",
    "RepositoryError",
    "ValidationError",
]
