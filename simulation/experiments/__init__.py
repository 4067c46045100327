"""Experiments over many replications: runner, results store, sweeps, comparisons, power."""
