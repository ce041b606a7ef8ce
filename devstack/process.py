"""What the local services (PostgreSQL, the Temporal dev server) share: start()/stop(), and a
`with` block that starts the service on entry and stops it on exit, whatever happened inside."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class LocalService:
    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
