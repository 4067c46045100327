"""Calibration targets, fitting code and fitted parameter values."""
