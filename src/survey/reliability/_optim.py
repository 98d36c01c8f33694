"""scipy's L-BFGS-B as the factor fits call it: BLAS held to one thread.

scipy's L-BFGS-B calls BLAS and LAPACK on its small work matrices at every step. With OpenBLAS's
threads on, each of those calls wakes the other threads and waits for them, which costs far more
than the arithmetic: on a 2-core machine ``omega_total``'s fit took 2.3 times and ``efa``'s 4.7
times the CPU of the same fit on one thread, with the same numbers (the matrices are far too small
for a threaded product to split them, so one thread computes exactly what two did).
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .._threads import one_blas_thread


def lbfgsb(fun: Callable[[np.ndarray], float], x0: np.ndarray, jac: Callable[[np.ndarray], np.ndarray],
           bounds: list[tuple[float, float]], options: dict[str, Any]) -> Any:
    """``scipy.optimize.minimize(fun, x0, jac=jac, method="L-BFGS-B", bounds=bounds,
    options=options)`` with BLAS at one thread while it runs; returns scipy's ``OptimizeResult``.

    Examples
    --------
    >>> res = lbfgsb(lambda x: float(((x - 2) ** 2).sum()), np.zeros(2), lambda x: 2 * (x - 2),
    ...              bounds=[(0.0, 1.0)] * 2, options={})
    >>> res.x.tolist()
    [1.0, 1.0]
    """
    from scipy.optimize import minimize

    with one_blas_thread():
        return minimize(fun, x0, jac=jac, method="L-BFGS-B", bounds=bounds, options=options)
