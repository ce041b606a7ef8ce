"""Local stack helpers: embedded PostgreSQL, the Temporal dev server and free ports.

Used by `make run` (scripts/run.py) and by the test fixtures.
"""

from devstack.ports import free_port, port_is_free
from devstack.postgres import EmbeddedPostgres
from devstack.temporal import (
    TemporalDevServer,
    ensure_search_attributes,
    temporal_binary,
    test_server_binary,
)

__all__ = [
    "EmbeddedPostgres",
    "TemporalDevServer",
    "ensure_search_attributes",
    "free_port",
    "port_is_free",
    "temporal_binary",
    "test_server_binary",
]
