"""Weighted draws for the week's hot paths, the same numbers as numpy's own.

``Generator.choice(n, size, p=p)`` validates ``p`` on every call (a compensated sum, a
non-negativity pass, a tolerance check) before it draws, which costs three times the draw
itself on the small batches of a week (a few hundred referrals, a week's registrations).
The draw underneath is ``cdf = p.cumsum(); cdf /= cdf[-1]``, then one uniform per item
looked up with ``searchsorted(side="right")``: done here the same way, it consumes the same
uniforms and gives the same indices (tests/test_draws.py checks both against numpy).
Weights must be valid probabilities: the scenario schema checks shares once, at loading.
``choice_without_replacement`` does the same for ``choice(n, size, replace=False, p=p)``
(numpy's rounds of draws, each dropping those already chosen), as a coordinator's visit
draws its candidates hundreds of times a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

import numpy as np


def weighted_choice(rng: np.random.Generator, p: np.ndarray | Sequence[float],
                    size: int) -> np.ndarray:
    """``rng.choice(len(p), size=size, p=p)`` without the checks: the same indices, and the
    generator left in the same state."""
    if isinstance(p, (list, tuple)):  # a scenario's shares: the same few lists all run
        return draw_from(rng, _cumulative_of(tuple(p)), size)
    return draw_from(rng, cumulative(p), size)


@lru_cache(maxsize=256)
def _cumulative_of(shares: tuple[float, ...]) -> np.ndarray:
    table = cumulative(shares)
    table.flags.writeable = False  # shared by every draw from these shares
    return table


def cumulative(p: np.ndarray | Sequence[float]) -> np.ndarray:
    """The table :func:`weighted_choice` draws from (numpy's own: cumulated, then divided
    by its last entry), to keep when the same weights are drawn from again and again."""
    cdf = np.asarray(p, dtype=np.float64).cumsum()
    cdf /= cdf[-1]
    return cdf


def draw_from(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    """``size`` draws from a table made by :func:`cumulative`."""
    return cdf.searchsorted(rng.random(size), side="right")


def uniform_choice(rng: np.random.Generator, a: np.ndarray, size: int) -> np.ndarray:
    """``rng.choice(a, size=size)`` (with replacement, equal chances) without its checks:
    numpy draws the positions with ``integers(0, len(a))``, so the same items and the
    generator left in the same state (nothing is drawn for none)."""
    if size == 0:
        return a[:0]
    return a.take(rng.integers(0, len(a), size=size, dtype=np.int64))


def choice_without_replacement(rng: np.random.Generator, p: np.ndarray, size: int
                               ) -> np.ndarray:
    """``rng.choice(len(p), size=size, replace=False, p=p)`` without the checks on ``p``:
    numpy's own rounds (draw for the places still open, drop the indices already chosen,
    keep each new index once, in the order drawn), so the same indices and generator."""
    p = np.array(p, dtype=np.float64)  # a copy: chosen entries are zeroed
    if np.count_nonzero(p > 0) < size:
        raise ValueError("Fewer non-zero entries in p than size")
    found = np.zeros(size, dtype=np.int64)
    n_found = 0
    while n_found < size:
        x = rng.random(size - n_found)
        if n_found > 0:
            p[found[:n_found]] = 0
        cdf = np.cumsum(p)
        cdf /= cdf[-1]
        new = cdf.searchsorted(x, side="right")
        _, first = np.unique(new, return_index=True)
        first.sort()
        new = new.take(first)
        found[n_found:n_found + new.size] = new
        n_found += new.size
    return found
