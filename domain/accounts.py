"""Accounts: who manages whose account (separation of duties, R6.1/P7) and the password policy.

Separation of duties: the system administrator (created only by the CLI at install) manages the
office, committee, government and auditor (纪检) accounts; the office manages only enterprise and
expert accounts, so it cannot make or hold the account that audits it. Nobody manages an administrator account through the API, so the office can never hold
or create an account that approves its own work (roster, final list) or casts a member's ballot.

Password policy (ASVS V2.1): at least 12 characters, at most 200, not one of the common passwords
shipped in `common_passwords.txt`, and not containing the username.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

from .errors import DomainError, invalid
from .types import Role

MANAGED_BY: dict[Role, frozenset[Role]] = {
    Role.ADMIN: frozenset({Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR}),
    Role.OFFICE: frozenset({Role.ENTERPRISE, Role.EXPERT}),
}

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 200
# The 19,640 most common passwords of public breach corpora, most common first (Royce Williams'
# list, as Django ships it in django/contrib/auth/common-passwords.txt.gz, BSD-3-Clause).
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "common_passwords.txt"


def may_manage(actor: Role, target: Role) -> bool:
    """May an account of role `actor` create, re-invite or deactivate an account of role `target`?"""
    return target in MANAGED_BY.get(actor, frozenset())


def role_not_managed(actor: Role, target: Role) -> DomainError:
    managed = ", ".join(sorted(MANAGED_BY.get(actor, frozenset()))) or "none"
    return DomainError(
        "ACCOUNT_ROLE_FORBIDDEN",
        f"当前账号（{actor}）无权创建或管理{target}账号（职责分离）",
        f"A {actor} account may not create or manage {target} accounts (separation of duties); "
        f"it manages: {managed}",
        status=403,
        details={"role": str(target)},
    )


@cache
def common_passwords() -> frozenset[str]:
    text = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8")
    return frozenset(line.strip().casefold() for line in text.splitlines() if line.strip())


def check_password_policy(password: str, username: str) -> None:
    """Raise a 422 DomainError with a stable code when `password` may not be used by `username`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise invalid(
            "PASSWORD_TOO_SHORT",
            f"密码至少需要{MIN_PASSWORD_LENGTH}个字符",
            f"The password needs at least {MIN_PASSWORD_LENGTH} characters",
            min_length=MIN_PASSWORD_LENGTH,
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise invalid(
            "PASSWORD_TOO_LONG",
            f"密码不能超过{MAX_PASSWORD_LENGTH}个字符",
            f"The password may have at most {MAX_PASSWORD_LENGTH} characters",
            max_length=MAX_PASSWORD_LENGTH,
        )
    folded = password.casefold()
    if username and username.casefold() in folded:
        raise invalid(
            "PASSWORD_CONTAINS_USERNAME", "密码不得包含用户名", "The password may not contain the username"
        )
    if folded in common_passwords():
        raise invalid(
            "PASSWORD_TOO_COMMON",
            "该密码过于常见，容易被猜中，请换一个",
            "This password is one of the most common ones and easy to guess; choose another",
        )


# --- sign-in throttling (ASVS V2.2.1) -------------------------------------------------------------
@dataclass(frozen=True)
class SignInLimits:
    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass(frozen=True)
class Attempts:
    """Sign-in attempts on one account name: every attempt counts when it starts (so concurrent
    guesses cannot overshoot the limit), a success forgets them all."""

    attempts: int
    window_started_at: datetime
    locked_until: datetime | None = None

    def expires_at(self, limits: SignInLimits) -> datetime:
        """After this moment the record no longer changes any answer."""
        end = self.window_started_at + limits.window
        return max(end, self.locked_until) if self.locked_until else end


def admit_attempt(
    state: Attempts | None, now: datetime, limits: SignInLimits
) -> tuple[Attempts, datetime | None]:
    """Count an attempt starting now. Returns the new state and, when it is refused, until when."""
    if state is not None and state.locked_until is not None and state.locked_until > now:
        return state, state.locked_until
    if state is None or state.locked_until is not None or now - state.window_started_at >= limits.window:
        state = Attempts(0, now)
    if state.attempts >= limits.max_failures:  # the budget is taken by attempts still running
        locked = replace(state, locked_until=now + limits.lockout)
        return locked, locked.locked_until
    return replace(state, attempts=state.attempts + 1), None


def attempt_failed(state: Attempts | None, now: datetime, limits: SignInLimits) -> Attempts:
    """An admitted attempt failed: it stays counted, and the last one allowed locks the name."""
    if state is None:  # a concurrent success forgot the earlier attempts
        state = Attempts(1, now)
    if state.attempts >= limits.max_failures and state.locked_until is None:
        state = replace(state, locked_until=now + limits.lockout)
    return state
