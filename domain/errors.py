"""Domain errors carry a stable code and a message in Chinese and English."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar


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


def refuse_any(
    names: Sequence[str], error: Callable[..., DomainError], code: str, zh: str, en: str, **details: Any
) -> None:
    """A rule broken by some of `names` (application ids, members, dates): raise `error` with each
    message followed by all of them (、 in Chinese, commas in English); nothing when none is named."""
    if names:
        raise error(code, zh + "、".join(names), en + ", ".join(names), **details)


_Id = TypeVar("_Id", str, int)


def repeated(ids: Iterable[_Id]) -> list[_Id]:
    """The ids given more than once, sorted."""
    return sorted(i for i, n in Counter(ids).items() if n > 1)
