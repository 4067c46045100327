"""The planner's HTML report."""
