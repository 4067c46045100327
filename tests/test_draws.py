"""The week's weighted draws give numpy's own numbers and leave the generator as numpy does."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.draws import choice_without_replacement, uniform_choice, weighted_choice

weights = st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=1, max_size=12).filter(
    lambda w: sum(w) > 0)


@settings(max_examples=300, deadline=None)
@given(weights, st.integers(0, 2000), st.integers(0, 2**32 - 1))
def test_weighted_choice_is_generator_choice(w: list[float], size: int, seed: int) -> None:
    p = np.array(w) / np.sum(w)
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    drawn = weighted_choice(ours, p, size)
    expected = numpys.choice(len(p), size=size, p=p)
    assert drawn.dtype == expected.dtype
    np.testing.assert_array_equal(drawn, expected)
    assert ours.random() == numpys.random()  # the same uniforms were used up


def test_weighted_choice_takes_shares_as_a_list() -> None:
    shares = [0.2, 0.5, 0.3]
    ours, numpys = np.random.default_rng(3), np.random.default_rng(3)
    np.testing.assert_array_equal(weighted_choice(ours, shares, 500),
                                  numpys.choice(3, size=500, p=shares))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(0.0, 10.0, allow_nan=False), min_size=1, max_size=40).filter(
    lambda w: sum(w) > 0), st.integers(0, 40), st.integers(0, 2**32 - 1))
def test_choice_without_replacement_is_generator_choice(w: list[float], size: int,
                                                        seed: int) -> None:
    p = np.array(w) / np.sum(w)
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    if np.count_nonzero(p > 0) < size:  # refused alike
        with pytest.raises(ValueError):
            numpys.choice(len(p), size=size, replace=False, p=p)
        with pytest.raises(ValueError):
            choice_without_replacement(ours, p, size)
        return
    drawn = choice_without_replacement(ours, p, size)
    expected = numpys.choice(len(p), size=size, replace=False, p=p)
    assert drawn.dtype == expected.dtype
    np.testing.assert_array_equal(drawn, expected)
    assert len(set(drawn.tolist())) == size
    assert ours.random() == numpys.random()


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 5000), st.integers(0, 300), st.integers(0, 2**32 - 1),
       st.booleans())
def test_uniform_choice_is_generator_choice(population: int, size: int, seed: int,
                                            offset: bool) -> None:
    items = np.arange(population, dtype=np.int64) * 7 + (3 if offset else 0)
    ours, numpys = np.random.default_rng(seed), np.random.default_rng(seed)
    drawn = uniform_choice(ours, items, size)
    expected = numpys.choice(items, size=size)
    assert drawn.dtype == expected.dtype
    np.testing.assert_array_equal(drawn, expected)
    assert ours.random() == numpys.random()  # the same numbers were used up
