"""What the local services (PostgreSQL, the Temporal dev server) share: start()/stop(), and a
`with` block that starts the service on entry and stops it on exit, whatever happened inside."""

from __future__ import annotations

from abc import ABC, abstractmethod
from types import TracebackType
from typing import Self


class LocalService(ABC):
    @abstractmethod
    def start(self) -> None:
        """Start the service and return once it answers."""

    @abstractmethod
    def stop(self) -> None:
        """Stop the service and whatever it started; safe to call when it is not running."""

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
