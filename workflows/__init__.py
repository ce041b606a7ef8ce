"""Temporal workflows: orchestration only; rules come from domain/, I/O from activities/."""
