"""Activities: all I/O of the workflows. Every write is idempotent, keyed by a business id."""
