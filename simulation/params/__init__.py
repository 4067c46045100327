"""Scenario parameters: the typed schema, scenario files, contracts and provenance."""
