"""Maximum likelihood: the optimiser, how a fit went, and its standard errors."""

import math
import statistics
import sys
from collections.abc import Callable, Mapping
from decimal import Decimal
from fractions import Fraction
from typing import Any, ClassVar

import attrs

from crmcore.analytics.btyd._numbers import _float
from crmcore.errors import (
    ConvergenceError,
    MissingExtraError,
    ModelError,
    ValidationError,
)


@attrs.frozen
class FitInfo:
    """How a maximum-likelihood fit went.

    Attributes:
        iterations: the optimiser's iterations (quasi-Newton steps).
        evaluations: how often the log-likelihood (with its gradient) was computed.
        converged: whether the optimiser reported convergence.
        method: ``"BFGS"`` with the analytic gradient, or ``"Nelder-Mead +
            BFGS"`` when the gradient method alone did not converge and the
            derivative-free one took over.
    """

    iterations: int
    evaluations: int
    converged: bool
    method: str


class _Fitted:
    """What every model has beside its parameters: the confidence intervals
    of a fitted one (the attrs classes hold the fields)."""

    _parameters: ClassVar[tuple[str, ...]]
    standard_errors: Mapping[str, float] | None

    def confidence_intervals(self, level: float = 0.95) -> dict[str, tuple[float, float]]:
        """Parameter → (low, high) at ``level``, from the standard errors.

        Computed on the log scale (log θ ± z·se(log θ), se(log θ) = se(θ)/θ),
        so the intervals stay positive, as the parameters must.

        Raises:
            ValidationError: a level outside (0, 1).
            ModelError: the model has no standard errors (not fitted).
        """
        return _intervals(self, self._parameters, level)


def _intervals(model: Any, names: tuple[str, ...], level: object) -> dict[str, tuple[float, float]]:
    """Confidence intervals from the standard errors, on the log scale."""
    if type(level) is bool or not isinstance(level, int | float | Decimal | Fraction):
        raise ValidationError("level", "must be a number", allowed="a level between 0 and 1")
    chosen = _float(level)
    if not 0 < chosen < 1:
        raise ValidationError("level", "is not between 0 and 1", allowed="such as 0.95")
    errors = model.standard_errors
    if errors is None:
        raise ModelError(
            "the model has no standard errors: it was built from given parameters, or its "
            "fit's information matrix is not positive definite"
        )
    z = statistics.NormalDist().inv_cdf((1 + chosen) / 2)
    found = {}
    for name in names:
        value = getattr(model, name)
        spread = z * errors[name] / value  # the standard error of log(value)
        found[name] = (value * math.exp(-spread), value * math.exp(spread))
    return found


def _scipy() -> tuple[Any, Any, Any]:
    try:
        import numpy
        from scipy import optimize, special
    except ImportError:
        raise MissingExtraError(
            'fitting a model needs scipy: pip install "crmcore[models]"', extra="models"
        ) from None
    return numpy, optimize, special


_MAX_LOG = math.log(sys.float_info.max)
"""At and above this, exp() overflows: a log-parameter there is an infinite parameter."""
RESTARTS = 3
"""How often the gradient search starts again from where it stalled before
the derivative-free search takes over."""


STALL_TOLERANCE = 1e-8
"""A gradient search that stalls ("precision loss": no step it tries lowers
the objective any more) has found the optimum when the improvement its own
curvature estimate still predicts, ½·gᵀH⁻¹g, is below this much
log-likelihood: far below the 10^-6 the fits promise, and near where a
log-likelihood of order 10^4 stops telling steps apart."""


def _stalled_at_optimum(np: Any, found: Any) -> bool:
    inverse = getattr(found, "hess_inv", None)
    if inverse is None or int(getattr(found, "status", 0)) != 2:
        return False
    gradient = np.asarray(found.jac, dtype=float)
    left = float(gradient @ np.asarray(inverse, dtype=float) @ gradient) / 2
    return 0 <= left <= STALL_TOLERANCE


def _fit(
    np: Any,
    optimize: Any,
    objective: Callable[[Any], tuple[float, Any]],
    names: tuple[str, ...],
    model: str,
    *,
    hessian_step: float = 1e-5,
) -> tuple[tuple[float, ...], FitInfo, dict[str, float] | None]:
    """Maximum likelihood over log-parameters (so they stay positive): BFGS
    with the exact gradient; Nelder-Mead first, then BFGS, if that alone
    fails. Returns the parameters, how the fit went, and the standard errors
    from the observed information (``None`` where it is not positive definite).
    """
    size = len(names)
    start = np.zeros(size)
    iterations = evaluations = 0
    best, method, point, done = None, "BFGS", start, False
    for _ in range(RESTARTS):
        # gtol bounds the gradient of a log-likelihood of order 10^3 to 10^7: the
        # optimum to about 10^-10 relative, where floats stop telling steps apart.
        # A search that stalls ("precision loss" on a ridge) starts again from
        # where it stopped, with a fresh curvature estimate.
        with np.errstate(all="ignore"):  # an overflow on the way is inf: the search backs off
            found = optimize.minimize(
                objective, point, jac=True, method="BFGS", options={"gtol": 1e-6}
            )
        iterations, evaluations = iterations + int(found.nit), evaluations + int(found.nfev)
        best, point = found, found.x
        done = bool(found.success) or _stalled_at_optimum(np, found)
        if done and math.isfinite(float(found.fun)):
            break
    assert best is not None
    if not (done and math.isfinite(float(best.fun))):
        with np.errstate(all="ignore"):
            slow = optimize.minimize(
                lambda v: objective(v)[0],
                start,
                method="Nelder-Mead",
                options={"maxiter": 20_000, "maxfev": 40_000, "xatol": 1e-10, "fatol": 1e-10},
            )
            polished = optimize.minimize(objective, slow.x, jac=True, method="BFGS")
        iterations += int(slow.nit) + int(polished.nit)
        evaluations += int(slow.nfev) + int(polished.nfev)
        best = polished if polished.success and polished.fun <= slow.fun else slow
        method = "Nelder-Mead + BFGS"
        if not (slow.success or polished.success):
            raise ConvergenceError(model, str(best.message))
    # a search that wandered off to a huge log-parameter gives inf, refused below
    params = tuple(math.exp(float(v)) if float(v) < _MAX_LOG else math.inf for v in best.x)
    finite = all(math.isfinite(p) and p > 0 for p in params) and math.isfinite(float(best.fun))
    if not finite:
        raise ConvergenceError(model, str(best.message))
    info = FitInfo(iterations=iterations, evaluations=evaluations, converged=True, method=method)
    return params, info, _standard_errors(np, objective, best.x, names, step=hessian_step)


def _standard_errors(
    np: Any,
    objective: Callable[[Any], tuple[float, Any]],
    at: Any,
    names: tuple[str, ...],
    *,
    step: float,
) -> dict[str, float] | None:
    """se(θ) from the inverse of the observed information (the Hessian of the
    negative log-likelihood, by central differences of the exact gradient in
    log-parameters), by the delta method: se(θ) = θ·se(log θ)."""
    size = len(names)
    hessian = np.zeros((size, size))
    for k in range(size):
        shift = np.zeros(size)
        shift[k] = step
        with np.errstate(all="ignore"):
            hessian[:, k] = (objective(at + shift)[1] - objective(at - shift)[1]) / (2 * step)
    hessian = (hessian + hessian.T) / 2
    try:
        np.linalg.cholesky(hessian)  # positive definite: a strict maximum
    except np.linalg.LinAlgError:
        return None
    variances = np.diag(np.linalg.inv(hessian))
    return {
        name: math.exp(float(log_value)) * math.sqrt(float(variance))
        for name, log_value, variance in zip(names, at, variances, strict=True)
    }
