"""Weighted draws for the week's hot paths, the same numbers as numpy's own.

``Generator.choice(n, size, p=p)`` validates ``p`` on every call (a compensated sum, a
non-negativity pass, a tolerance check) before it draws, which costs three times the draw
itself on the small batches of a week (a few hundred referrals, a week's registrations).
The draw underneath is ``cdf = p.cumsum(); cdf /= cdf[-1]``, then one uniform per item
looked up with ``searchsorted(side="right")``: done here the same way, it consumes the same
uniforms and gives the same indices (tests/test_draws.py checks both against numpy).
Weights must be valid probabilities: the scenario schema checks shares once, at loading.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def weighted_choice(rng: np.random.Generator, p: np.ndarray | Sequence[float],
                    size: int) -> np.ndarray:
    """``rng.choice(len(p), size=size, p=p)`` without the checks: the same indices, and the
    generator left in the same state."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf.searchsorted(rng.random(size), side="right")
