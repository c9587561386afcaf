"""Analytics: pure functions over domain values, with exact arithmetic.

Every function returns a value that explains itself (the counts and sums it
used); money results are per currency.
"""

from crmcore.analytics.forecast import (
    Coverage,
    DurationStats,
    Forecast,
    SalesCycle,
    SalesVelocity,
    StageConversion,
    StaleOpportunity,
    WeightedPipeline,
    WinRate,
    coverage,
    forecast,
    sales_cycle,
    sales_velocity,
    stage_conversion,
    stale,
    time_in_stage,
    weighted_pipeline,
    win_rate,
)

__all__ = [
    "Coverage",
    "DurationStats",
    "Forecast",
    "SalesCycle",
    "SalesVelocity",
    "StageConversion",
    "StaleOpportunity",
    "WeightedPipeline",
    "WinRate",
    "coverage",
    "forecast",
    "sales_cycle",
    "sales_velocity",
    "stage_conversion",
    "stale",
    "time_in_stage",
    "weighted_pipeline",
    "win_rate",
]
