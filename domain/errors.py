"""Domain errors carry a stable code and a message in Chinese and English."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DomainError(Exception):
    """A rule was broken by the input. `status` is the HTTP status the API maps it to."""

    code: str
    message_zh: str
    message_en: str
    status: int = 422
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en} / {self.message_zh}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": self.details,
        }


def conflict(code: str, zh: str, en: str, **details: Any) -> DomainError:
    return DomainError(code, zh, en, status=409, details=details)


def invalid(code: str, zh: str, en: str, **details: Any) -> DomainError:
    return DomainError(code, zh, en, status=422, details=details)
