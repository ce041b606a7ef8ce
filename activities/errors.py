"""Data errors end a step; they are never retried (P6).

PostgreSQL refuses some values for good: a NUL byte or an invalid character, a value longer than
its column, a number out of range, a check constraint. Retrying such an activity can only fail
again, and a workflow gate waiting on it would wait forever. One worker interceptor turns these
errors of every activity into a non-retryable failure of type DATA_ERROR, which the workflows'
`record` helper refuses (inside a human step) or records for the office (in the workflow's own
course). Every other error keeps its retries (a lost connection, a deadlock, a timeout).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import exc
from temporalio.exceptions import ApplicationError
from temporalio.worker import ActivityInboundInterceptor, ExecuteActivityInput, Interceptor

from config.temporal import DATA_ERROR

# SQLSTATE classes and codes that no retry can mend
_DATA_EXCEPTION_CLASS = "22"  # data exception: invalid byte, too long, out of range, …
_CHECK_VIOLATION = "23514"
_NOT_NULL_VIOLATION = "23502"


def sqlstate(error: BaseException) -> str | None:
    """The SQLSTATE of a database error, looked for along its causes."""
    seen: BaseException | None = error
    while seen is not None:
        code = getattr(seen, "sqlstate", None) or getattr(seen, "pgcode", None)
        if isinstance(code, str):
            return code
        seen = getattr(seen, "orig", None) or seen.__cause__
    return None


def is_data_error(error: BaseException) -> bool:
    if isinstance(error, UnicodeError):  # e.g. a lone surrogate the driver cannot encode
        return True
    if not isinstance(error, exc.StatementError):
        return False
    if isinstance(error.orig, UnicodeError):
        return True
    code = sqlstate(error)
    if code is not None:
        return code.startswith(_DATA_EXCEPTION_CLASS) or code in (_CHECK_VIOLATION, _NOT_NULL_VIOLATION)
    return isinstance(error, exc.DataError)


class DataErrors(Interceptor):
    def intercept_activity(self, next: ActivityInboundInterceptor) -> ActivityInboundInterceptor:
        return _DataErrorsInbound(next)


class _DataErrorsInbound(ActivityInboundInterceptor):
    async def execute_activity(self, input: ExecuteActivityInput) -> Any:
        try:
            return await super().execute_activity(input)
        except Exception as e:
            if is_data_error(e):
                raise ApplicationError(
                    f"{type(e).__name__}: {str(e).splitlines()[0][:500]}",
                    sqlstate(e),
                    type=DATA_ERROR,
                    non_retryable=True,
                ) from e
            raise
