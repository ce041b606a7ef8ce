"""Pure business rules of the award (stdlib only): no I/O, no clock, no randomness.

`now`, `seed` and `rules` are always arguments, so workflows, activities, the API and tests
share one deterministic implementation.
"""
