"""What the codec routes answer (Temporal's remote codec protocol): the payloads, as the protobuf
JSON form of temporal.api.common.v1.Payloads (what the Temporal Web UI and CLI read)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Payload(BaseModel):
    metadata: dict[str, str] = Field(default={}, description="name -> base64 value (e.g. encoding)")
    data: str = Field(default="", description="base64")


class Payloads(BaseModel):
    payloads: list[Payload] = []
