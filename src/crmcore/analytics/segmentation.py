"""Customer segmentation: concentration measures (`crmcore.analytics.concentration`)
and attribute segmenters (`crmcore.analytics.segmenters`), importable from here too."""

from crmcore.analytics.concentration import (
    AbcClass,
    AbcResult,
    Crossing,
    ParetoResult,
    abc_classes,
    gini,
    lorenz_curve,
    pareto,
)
from crmcore.analytics.segmenters import (
    CUSTOMER_TYPE,
    INDUSTRY,
    OCCUPATION,
    SPEND_BANDS,
    Bands,
    Categories,
    Combined,
    Segmentation,
    age_bands,
    combine,
    segment,
)

__all__ = [
    "CUSTOMER_TYPE",
    "INDUSTRY",
    "OCCUPATION",
    "SPEND_BANDS",
    "AbcClass",
    "AbcResult",
    "Bands",
    "Categories",
    "Combined",
    "Crossing",
    "ParetoResult",
    "Segmentation",
    "abc_classes",
    "age_bands",
    "combine",
    "gini",
    "lorenz_curve",
    "pareto",
    "segment",
]
