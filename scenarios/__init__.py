"""Scenario files (TOML), shipped as package data so they are found when installed."""
