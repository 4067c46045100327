"""pilotsim: agent-based simulation of regional labour-market interventions."""
