"""Settings, constants and the Temporal client factory shared by API, worker and tests."""
