"""Password hashing (argon2), access tokens (JWT) and opaque one-time tokens.

argon2 costs ~0.1 s of CPU by design: the async helpers run it in a worker thread (argon2-cffi
releases the GIL), so concurrent sign-ins never stall the event loop. A sign-in for an account
that does not exist, or has no password yet, verifies against a dummy hash: the same work and the
same code path as a wrong password (no timing oracle for account names).
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def configure_hashing(*, time_cost: int, memory_kib: int) -> None:
    """The argon2 cost of new hashes (settings; production refuses less than OWASP's minimum). A
    stored hash keeps the parameters it was made with, and is verified with them."""
    global _hasher
    if (_hasher.time_cost, _hasher.memory_cost) != (time_cost, memory_kib):
        _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        dummy_hash.cache_clear()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """A hash of a random secret, with the parameters of real hashes; nothing ever matches it."""
    return _hasher.hash(secrets.token_urlsafe(32))


def _verify_dummy(password: str) -> bool:
    return verify_password(dummy_hash(), password)  # the first call also makes the dummy hash


async def hash_password_async(password: str) -> str:
    return await asyncio.to_thread(hash_password, password)


async def check_password(password_hash: str | None, password: str) -> bool:
    """Verify in a worker thread; with no usable hash, verify against the dummy one (and fail)."""
    if password_hash is None:
        await asyncio.to_thread(_verify_dummy, password)
        return False
    return await asyncio.to_thread(verify_password, password_hash, password)


def new_secret_token() -> str:
    """An opaque token (invitation, refresh): 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of an opaque token: its SHA-256 (the token itself has 256 random bits, so a
    fast hash suffices; the database never holds a usable token)."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    *, subject: str, role: str, secret: str, algorithm: str, ttl_minutes: int, session_id: str
) -> str:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": subject,
        "role": role,
        "sid": session_id,
        "iat": now,
        "exp": now + timedelta(minutes=ttl_minutes),
    }
    return jwt.encode(claims, secret, algorithm=algorithm)


def decode_token(token: str, *, secret: str, algorithm: str) -> dict[str, Any]:
    """Raises jwt.PyJWTError on a bad, expired or forged token."""
    return jwt.decode(token, secret, algorithms=[algorithm], options={"require": ["sub", "exp", "sid"]})
