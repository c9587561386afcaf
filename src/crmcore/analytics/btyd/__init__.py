"""Probabilistic customer-base models: BG/NBD, MBG/NBD, Pareto/NBD and BG/BB
for purchases, Gamma-Gamma for spend, and the CLV they give.

Conventions, all stated and none silent:

- `rfm_summary` turns transactions into the continuous-time models' inputs.
  Purchases on one calendar day are one purchase (amounts added).
  ``frequency`` is the number of purchase days minus one (repeat purchases);
  ``recency`` is the time from the first to the last purchase day; ``T`` the
  time from the first purchase day to ``observation_end``; both in the
  summary's unit (``"day"``, ``"week"`` = 7 days or ``"month"`` = 30 days),
  which every summary carries. ``monetary_value`` is the mean amount of the
  repeat purchase days (zero when there are none). BG/BB, the discrete-time
  model, takes ``(x, t_x, n)`` counts of opportunities instead.
- Predictions are pure Python (``math``) for scalars, and numpy for arrays
  (or for several summaries at once), the same formulas in the same order:
  the two agree to about 1e-15 relative. Model parameters and predictions
  are floats (they are estimates, not amounts of money); the money-valued
  results (`GammaGamma.expected_spend`, `clv`) are `Money` converted from
  those floats, which their documentation says.
- Time arguments ``t``, ``t_x`` and ``T`` are in the unit of the summary the
  model was fitted on.
- Fitting (``Model.fit``) is maximum likelihood with scipy (``pip install
  "crmcore[models]"``), in log space, over the distinct rows of the data, by
  BFGS with the exact gradient (central differences for Pareto/NBD;
  Nelder-Mead if the search stalls away from the optimum), and never
  returns NaN parameters: it raises `ConvergenceError` instead. A fitted
  model has `fit_info`, `standard_errors` (from the observed information)
  and `confidence_intervals` (on the log scale).
"""

from crmcore.analytics.btyd._bgbb import BetaGeoBetaBinom
from crmcore.analytics.btyd._bgnbd import BetaGeo, ModifiedBetaGeo
from crmcore.analytics.btyd._fitting import FitInfo
from crmcore.analytics.btyd._pareto import ParetoNBD
from crmcore.analytics.btyd._spend import GammaGamma
from crmcore.analytics.btyd._summary import (
    UNITS,
    CalibrationHoldout,
    HoldoutRow,
    RfmSummaries,
    RfmSummary,
    calibration_and_holdout,
    rfm_summary,
)
from crmcore.analytics.btyd._value import (
    ClvPrediction,
    ClvPredictions,
    HoldoutBin,
    clv,
    holdout_comparison,
)

__all__ = [
    "UNITS",
    "BetaGeo",
    "BetaGeoBetaBinom",
    "CalibrationHoldout",
    "ClvPrediction",
    "ClvPredictions",
    "FitInfo",
    "GammaGamma",
    "HoldoutBin",
    "HoldoutRow",
    "ModifiedBetaGeo",
    "ParetoNBD",
    "RfmSummaries",
    "RfmSummary",
    "calibration_and_holdout",
    "clv",
    "holdout_comparison",
    "rfm_summary",
]
