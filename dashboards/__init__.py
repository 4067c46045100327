"""Workshop dashboard (Dash + plotly)."""
