"""One Temporal client factory for API, worker, scripts and tests."""

from __future__ import annotations

from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.exceptions import ApplicationError

from domain.errors import DomainError


async def connect(address: str, namespace: str = "default") -> Client:
    return await Client.connect(address, namespace=namespace, data_converter=pydantic_data_converter)


def refusal(error: DomainError) -> ApplicationError:
    """A rule refused a step: a non-retryable failure carrying the bilingual error, which the API
    turns back into the same 4xx (api.errors.from_temporal)."""
    return ApplicationError(
        error.message_en, error.to_dict(), error.status, type=error.code, non_retryable=True
    )
