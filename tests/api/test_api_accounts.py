"""Accounts and sign-in (R6.1, P7; ASVS V2/V3), through the HTTP API on the real servers:
separation of duties (the admin manages office, committee and government accounts, the office
only enterprise and expert accounts), one-time invitations, deactivation, refresh tokens and
their revocation, throttling with lockout, constant work for unknown accounts, argon2 off the
event loop, the password policy, production settings."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from conftest import ADMIN, OFFICE, TEST_KEYS
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from support import add_fact, expect_list, login, register_enterprise, valid_certificate

from api import security
from api.cli import create_user
from config.settings import DEV_ADMIN, DEV_OFFICE, Settings
from devstack.scenario import Scenario
from domain.errors import DomainError
from domain.types import Role

Sessions = async_sessionmaker[AsyncSession]
Headers = dict[str, str]


def refused(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()
    assert body["code"] == code, body
    assert body["message_zh"] and body["message_en"]
    return body


async def invite(api: httpx.AsyncClient, manager: Headers, username: str, role: str, **extra: Any) -> str:
    """The manager invites the account; returns the one-time token it is shown."""
    body = {"username": username, "role": role, "display_name": f"{username}测试", **extra}
    r = await api.post("/users", headers=manager, json=body)
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "INVITED"
    return str(r.json()["invitation"]["token"])


async def accept(api: httpx.AsyncClient, token: str, password: str) -> httpx.Response:
    return await api.post("/auth/invitations/accept", json={"token": token, "password": password})


async def sign_in(api: httpx.AsyncClient, username: str, password: str) -> httpx.Response:
    return await api.post("/auth/token", data={"username": username, "password": password})


def bearer(pair: dict[str, Any]) -> Headers:
    return {"Authorization": f"Bearer {pair['access_token']}"}


async def audit(api: httpx.AsyncClient, office: Headers, **query: str) -> list[dict[str, Any]]:
    return expect_list(await api.get("/audit", headers=office, params={"page_size": 1000, **query}))


# --- separation of duties -------------------------------------------------------------------------
@pytest.mark.req("R6.1")
@pytest.mark.req("P7")
async def test_the_office_cannot_create_modify_deactivate_or_sign_in_as_government_or_committee(
    api: httpx.AsyncClient,
) -> None:
    office = await login(api, *OFFICE)
    admin = await login(api, *ADMIN)

    # The office may not create any account that approves or votes (nor an office or admin one).
    for role in ("government", "committee", "office", "admin"):
        body = {"username": f"x-{role}", "role": role, "display_name": "冒名"}
        refused(await api.post("/users", headers=office, json=body), 403, "ACCOUNT_ROLE_FORBIDDEN")
    # Nobody creates an administrator through the API; the admin takes no enterprise or expert.
    for role in ("admin", "enterprise", "expert"):
        body = {"username": f"y-{role}", "role": role, "display_name": "管理员"}
        refused(await api.post("/users", headers=admin, json=body), 403, "ACCOUNT_ROLE_FORBIDDEN")

    # The admin invites a government approver and a committee member; each sets their own password.
    for username, role in (("gov1", "government"), ("member9", "committee")):
        token = await invite(api, admin, username, role)
        assert (await accept(api, token, f"{role} own secret 1")).json() == {
            "username": username,
            "role": role,
        }
        assert (await sign_in(api, username, f"{role} own secret 1")).status_code == 200

    # The office can neither re-invite (take over) nor deactivate them, nor even list them.
    for username in ("gov1", "member9"):
        refused(
            await api.post(f"/users/{username}/invitation", headers=office), 403, "ACCOUNT_ROLE_FORBIDDEN"
        )
        refused(
            await api.post(f"/users/{username}/deactivate", headers=office, json={"reason": "冒用"}),
            403,
            "ACCOUNT_ROLE_FORBIDDEN",
        )
        # ... and it never learns a password: guessing fails like any wrong password.
        refused(await sign_in(api, username, "office-test-password"), 401, "AUTH_FAILED")
    assert {a["username"] for a in expect_list(await api.get("/users", headers=office))} == set()
    managed = {a["username"]: a for a in expect_list(await api.get("/users", headers=admin))}
    assert managed["gov1"]["status"] == managed["member9"]["status"] == "ACTIVE"
    assert managed["office"]["role"] == "office" and "admin" not in managed

    # The office cannot register an expert with a password of its choosing either.
    expert = {"name": "专家甲", "qualifications": ["高级工程师"], "fields": ["INDUSTRY"], "username": "exp1"}
    r = await api.post("/experts", headers=office, json={**expert, "password": "chosen-by-office-1"})
    refused(r, 422, "PASSWORD_SET_BY_INVITEE")
    r = await api.post("/experts", headers=office, json=expert)
    assert r.status_code == 201, r.text
    assert r.json()["invitation"]["token"] and r.json()["username"] == "exp1"

    # The administrator manages accounts and nothing else; others do not manage accounts at all.
    refused(await api.get("/applications", headers=admin), 403, "FORBIDDEN")
    refused(await api.post("/cycles", headers=admin, json={"year": 2099}), 403, "FORBIDDEN")
    assert (await api.get("/auth/me", headers=admin)).json()["role"] == "admin"
    member = bearer((await sign_in(api, "member9", "committee own secret 1")).json())
    body = {"username": "z-gov", "role": "government", "display_name": "x"}
    refused(await api.post("/users", headers=member, json=body), 403, "FORBIDDEN")

    # Every account change is audited with who did it.
    invited = {e["entity_id"]: e for e in await audit(api, office, action="USER_INVITED")}
    assert invited["gov1"]["actor"] == invited["member9"]["actor"] == "admin"
    assert invited["exp1"]["actor"] == "office"
    accepted = {e["entity_id"] for e in await audit(api, office, action="INVITATION_ACCEPTED")}
    assert accepted == {"gov1", "member9"}


@pytest.mark.req("R6.1")
@pytest.mark.req("P7")
async def test_an_invitation_sets_the_password_once_and_not_after_it_expires(
    api: httpx.AsyncClient, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    ent, _ = await register_enterprise(api, office, 61)
    token = await invite(api, office, "ent61b", "enterprise", enterprise_credit_code=ent["credit_code"])
    # Before the invitee sets a password, no password opens the account.
    refused(await sign_in(api, "ent61b", "!"), 401, "AUTH_FAILED")

    refused(await accept(api, "no-such-token", "a long enough secret"), 404, "INVITATION_INVALID")
    assert (await accept(api, token, "first own secret 61")).status_code == 200
    refused(await accept(api, token, "second own secret 61"), 409, "INVITATION_USED")
    assert (await sign_in(api, "ent61b", "first own secret 61")).status_code == 200
    refused(await sign_in(api, "ent61b", "second own secret 61"), 401, "AUTH_FAILED")

    # An invitation not used in time no longer works (its expiry moved to the past: time passed).
    r = await api.post("/users/ent61b/invitation", headers=office)
    assert r.status_code == 200 and r.json()["status"] == "INVITED", r.text
    late = r.json()["invitation"]["token"]
    refused(await sign_in(api, "ent61b", "first own secret 61"), 401, "AUTH_FAILED")  # password cleared
    async with sessions.begin() as s:
        await s.execute(text("update account_invitations set expires_at = now() - interval '1 second'"))
    refused(await accept(api, late, "third own secret 61"), 410, "INVITATION_EXPIRED")
    # A new invitation replaces the expired one, which stays unusable.
    r = await api.post("/users/ent61b/invitation", headers=office)
    fresh = r.json()["invitation"]["token"]
    refused(await accept(api, late, "third own secret 61"), 404, "INVITATION_INVALID")
    assert (await accept(api, fresh, "third own secret 61")).status_code == 200
    assert (await sign_in(api, "ent61b", "third own secret 61")).status_code == 200

    issued = await audit(api, office, entity_id="ent61b")
    assert [e["action"] for e in issued if e["action"].startswith(("USER_", "INVITATION_"))] == [
        "USER_INVITED",
        "INVITATION_ACCEPTED",
        "INVITATION_ISSUED",
        "INVITATION_ISSUED",
        "INVITATION_ACCEPTED",
    ]


@pytest.mark.req("P7")
async def test_password_policy_refusals_are_422_with_stable_codes(api: httpx.AsyncClient) -> None:
    admin = await login(api, *ADMIN)
    token = await invite(api, admin, "chair2", "committee")
    for password, code in (
        ("short-pass", "PASSWORD_TOO_SHORT"),  # 10 characters
        ("1qaz2wsx3edc", "PASSWORD_TOO_COMMON"),  # 12 characters, in the shipped list
        ("QWERTY123456", "PASSWORD_TOO_COMMON"),  # case does not help
        ("my-CHAIR2-password", "PASSWORD_CONTAINS_USERNAME"),
        ("x" * 201, "PASSWORD_TOO_LONG"),
    ):
        refused(await accept(api, token, password), 422, code)
    assert (await accept(api, token, "陈主任的评审口令2027")).status_code == 200  # refusals left it usable
    pair = (await sign_in(api, "chair2", "陈主任的评审口令2027")).json()
    for new, code in (
        ("too-short", "PASSWORD_TOO_SHORT"),
        ("qwerty123456", "PASSWORD_TOO_COMMON"),
        ("陈主任的评审口令2027", "PASSWORD_UNCHANGED"),
    ):
        body = {"current_password": "陈主任的评审口令2027", "new_password": new}
        refused(await api.post("/auth/password", headers=bearer(pair), json=body), 422, code)


# --- tokens: short access, rotated refresh, revocation --------------------------------------------
@pytest.mark.req("R6.1")
@pytest.mark.req("P7")
async def test_a_deactivated_accounts_access_and_refresh_tokens_stop_working_at_once(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    office = await login(api, *OFFICE)
    admin = await login(api, *ADMIN)
    await accept(api, await invite(api, admin, "member8", "committee"), "member's own secret 8")
    pair = (await sign_in(api, "member8", "member's own secret 8")).json()
    claims = jwt.decode(pair["access_token"], settings.jwt_secret, algorithms=[settings.jwt_algorithm])
    assert claims["exp"] - claims["iat"] == settings.jwt_ttl_minutes * 60 == pair["expires_in"] == 15 * 60
    assert (await api.get("/auth/me", headers=bearer(pair))).status_code == 200

    refused(
        await api.post("/users/member8/deactivate", headers=office, json={"reason": "x"}),
        403,
        "ACCOUNT_ROLE_FORBIDDEN",
    )
    r = await api.post("/users/member8/deactivate", headers=admin, json={"reason": "任期届满"})
    assert r.status_code == 200 and r.json()["status"] == "DEACTIVATED", r.text

    refused(await api.get("/auth/me", headers=bearer(pair)), 401, "UNAUTHENTICATED")
    refused(
        await api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}), 401, "REFRESH_INVALID"
    )
    refused(await sign_in(api, "member8", "member's own secret 8"), 401, "AUTH_FAILED")
    refused(await api.post("/users/member8/invitation", headers=admin), 409, "ACCOUNT_DEACTIVATED")

    # The office deactivates enterprise accounts the same way.
    ent, heads = await register_enterprise(api, office, 62)
    await add_fact(api, office, ent["credit_code"], valid_certificate(datetime.now(UTC).date()))
    assert (await api.get("/auth/me", headers=heads)).status_code == 200
    r = await api.post("/users/ent62/deactivate", headers=office, json={"reason": "联系人离职"})
    assert r.status_code == 200, r.text
    refused(await api.get("/auth/me", headers=heads), 401, "UNAUTHENTICATED")

    deactivated = {e["entity_id"]: e for e in await audit(api, office, action="USER_DEACTIVATED")}
    assert deactivated["member8"]["actor"] == "admin" and deactivated["member8"]["reason"] == "任期届满"
    assert deactivated["ent62"]["actor"] == "office"


@pytest.mark.req("P7")
async def test_refresh_tokens_rotate_and_sign_out_and_password_change_end_sessions(
    api: httpx.AsyncClient,
) -> None:
    office = await login(api, *OFFICE)
    await register_enterprise(api, office, 63, password="enterprise own secret")

    first = (await sign_in(api, "ent63", "enterprise own secret")).json()
    second = (await api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"]
    assert (await api.get("/auth/me", headers=bearer(second))).status_code == 200
    # The exchanged refresh token again: someone replays it, so the whole sign-in ends.
    refused(
        await api.post("/auth/refresh", json={"refresh_token": first["refresh_token"]}),
        401,
        "REFRESH_INVALID",
    )
    refused(
        await api.post("/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "REFRESH_INVALID",
    )
    refused(await api.get("/auth/me", headers=bearer(second)), 401, "UNAUTHENTICATED")

    # Sign-out ends this sign-in's access and refresh tokens, not the others'.
    a = (await sign_in(api, "ent63", "enterprise own secret")).json()
    b = (await sign_in(api, "ent63", "enterprise own secret")).json()
    assert (await api.post("/auth/logout", headers=bearer(a))).status_code == 204
    refused(await api.get("/auth/me", headers=bearer(a)), 401, "UNAUTHENTICATED")
    refused(
        await api.post("/auth/refresh", json={"refresh_token": a["refresh_token"]}), 401, "REFRESH_INVALID"
    )
    assert (await api.get("/auth/me", headers=bearer(b))).status_code == 200

    # A password change needs the current password and ends every sign-in of the account.
    c = (await sign_in(api, "ent63", "enterprise own secret")).json()
    wrong = {"current_password": "not my password", "new_password": "a brand new secret"}
    refused(await api.post("/auth/password", headers=bearer(b), json=wrong), 403, "CURRENT_PASSWORD_WRONG")
    change = {"current_password": "enterprise own secret", "new_password": "a brand new secret"}
    assert (await api.post("/auth/password", headers=bearer(b), json=change)).status_code == 204
    for pair in (b, c):
        refused(await api.get("/auth/me", headers=bearer(pair)), 401, "UNAUTHENTICATED")
        refused(
            await api.post("/auth/refresh", json={"refresh_token": pair["refresh_token"]}),
            401,
            "REFRESH_INVALID",
        )
    refused(await sign_in(api, "ent63", "enterprise own secret"), 401, "AUTH_FAILED")
    assert (await sign_in(api, "ent63", "a brand new secret")).status_code == 200

    actions = [e["action"] for e in await audit(api, office, entity_id="ent63")]
    for action in ("SESSION_REVOKED", "SIGNED_OUT", "PASSWORD_CHANGE_FAILED", "PASSWORD_CHANGED"):
        assert action in actions


# --- throttling and lockout -----------------------------------------------------------------------
@pytest.mark.req("P7")
async def test_repeated_failures_lock_the_account_with_429_and_retry_after(
    api: httpx.AsyncClient, settings: Settings, sessions: Sessions
) -> None:
    office = await login(api, *OFFICE)
    await register_enterprise(api, office, 64, password="enterprise own secret")
    assert settings.sign_in_max_failures == 5 and settings.sign_in_lockout_minutes == 15

    for i in range(5):
        refused(await sign_in(api, "ent64", f"guess number {i}"), 401, "AUTH_FAILED")
    r = await sign_in(api, "ent64", "enterprise own secret")  # even the right password now
    body = refused(r, 429, "ACCOUNT_LOCKED")
    retry_after = int(r.headers["Retry-After"])
    assert 15 * 60 - 60 < retry_after <= 15 * 60 and body["details"]["retry_after"] == retry_after
    # Other accounts are not affected.
    assert (await sign_in(api, *OFFICE)).status_code == 200

    # An unknown account name locks the same way: a lockout tells nothing about existence.
    for i in range(5):
        refused(await sign_in(api, "nobody-here", f"guess number {i}"), 401, "AUTH_FAILED")
    refused(await sign_in(api, "nobody-here", "guess number 5"), 429, "ACCOUNT_LOCKED")

    # Failures are audited with the reason, never with the password.
    failed = await audit(api, office, action="SIGN_IN_FAILED")
    assert [e["reason"] for e in failed if e["entity_id"] == "ent64"] == ["wrong password"] * 5
    assert [e["reason"] for e in failed if e["entity_id"] == "nobody-here"] == ["unknown account"] * 5
    assert all("guess number" not in str(e) for e in failed)
    locked = [e["entity_id"] for e in await audit(api, office, action="ACCOUNT_LOCKED")]
    assert sorted(locked) == ["ent64", "nobody-here"]
    assert any(e["entity_id"] == "office" for e in await audit(api, office, action="SIGN_IN_SUCCEEDED"))

    # When the lock has passed (moved to the past: time passed), the right password works again.
    async with sessions.begin() as s:
        await s.execute(text("update sign_in_throttle set locked_until = now() - interval '1 second'"))
    assert (await sign_in(api, "ent64", "enterprise own secret")).status_code == 200


@pytest.mark.req("P7")
async def test_concurrent_guesses_cannot_overshoot_the_failure_limit(api: httpx.AsyncClient) -> None:
    answers = await asyncio.gather(*(sign_in(api, "office", f"parallel guess {i}") for i in range(12)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(401) <= 5 and statuses.count(429) >= 7, statuses
    assert set(statuses) == {401, 429}


# --- constant work, argon2 off the event loop -----------------------------------------------------
@pytest.mark.req("P7")
async def test_unknown_and_known_accounts_take_the_same_path(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, sessions: Sessions
) -> None:
    admin = await login(api, *ADMIN)
    await invite(api, admin, "pending1", "government")  # invited, no password yet
    calls: list[str] = []
    real = security.verify_password

    def counting(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", counting)
    async with sessions() as s:
        office_hash = (
            await s.execute(text("select password_hash from users where username='office'"))
        ).scalar()

    answers = {}
    for username, verified in (
        ("no-such-user", security.dummy_hash()),
        ("office", office_hash),
        ("pending1", security.dummy_hash()),
    ):
        calls.clear()
        r = await sign_in(api, username, "some wrong password")
        answers[username] = refused(r, 401, "AUTH_FAILED")
        assert calls == [verified], username  # exactly one argon2 verification, real or dummy
    assert answers["no-such-user"] == answers["office"] == answers["pending1"]


@pytest.mark.req("P7")
async def test_concurrent_sign_ins_do_not_block_the_event_loop(
    api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Password verification is made slow on purpose (a blocking 1.5 s in each call, as a costly
    hash would be): run on the event loop, it would hold every other request for that long."""
    real = security.verify_password

    def slow(password_hash: str, password: str) -> bool:
        time.sleep(1.5)
        return real(password_hash, password)

    monkeypatch.setattr(security, "verify_password", slow)
    assert (await api.get("/openapi.json")).status_code == 200  # built once, then cheap

    credentials: list[tuple[str, str]] = [OFFICE, ADMIN] * 4  # 4 at a time per account: under the limit
    started = time.perf_counter()
    sign_ins = asyncio.gather(*(sign_in(api, *c) for c in credentials))
    latencies: list[float] = []
    while not sign_ins.done():  # a cheap request every 50 ms while the sign-ins run
        asked = time.perf_counter()
        await asyncio.sleep(0.05)  # the event loop runs the sign-ins' steps here
        assert (await api.get("/openapi.json")).status_code == 200
        latencies.append(time.perf_counter() - asked - 0.05)
    answers = await sign_ins
    elapsed = time.perf_counter() - started
    assert [r.status_code for r in answers] == [200] * 8
    assert elapsed >= 1.5 and len(latencies) >= 5, (elapsed, latencies)
    assert max(latencies) < 0.6, latencies  # on the loop, a ping would wait 1.5 s or more


# --- configuration and the CLI --------------------------------------------------------------------
@pytest.mark.req("P7")
def test_production_refuses_development_passwords_and_default_secrets() -> None:
    good = {
        "environment": "production",
        "database_url": "postgresql+asyncpg://award@db/award",
        "temporal_address": "temporal:7233",
        "jwt_secret": "9f3c1e7a5b2d4f608e1c3a5b7d9f1e2c4a6b8d0f",
        "payload_keys": ",".join(TEST_KEYS.lines()),  # encrypted Temporal payloads (test_api_codec.py)
    }
    Settings(**good).check()
    Settings(
        **good, bootstrap_office_username="office", bootstrap_office_password="某区评审办启用口令-7431"
    ).check()
    bad: list[dict[str, Any]] = [
        {"jwt_secret": "dev-only-secret-change-me"},
        {"jwt_secret": "change-me-change-me-change-me-change-me"},
        {"jwt_secret": "short"},
        {"bootstrap_office_username": DEV_OFFICE[0], "bootstrap_office_password": DEV_OFFICE[1]},
        {"bootstrap_office_username": "office", "bootstrap_office_password": "office-test-password"},
        {"bootstrap_office_username": "office2", "bootstrap_office_password": DEV_ADMIN[1]},
        {"bootstrap_office_username": "office", "bootstrap_office_password": "weak"},
    ]
    for override in bad:
        with pytest.raises(RuntimeError):
            Settings(**{**good, **override}).check()
    Settings(environment="development").check()  # development keeps its defaults


@pytest.mark.req("R6.1")
@pytest.mark.req("P7")
async def test_the_cli_creates_the_admin_with_a_policy_password(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    with pytest.raises(DomainError) as refused_password:
        await create_user(settings.database_url, "admin2", "管理员", Role.ADMIN, "admin2-password")
    assert refused_password.value.code == "PASSWORD_CONTAINS_USERNAME"
    assert "created" in await create_user(
        settings.database_url, "admin2", "管理员", Role.ADMIN, "县区账号管理员口令-2027"
    )
    admin2 = await login(api, "admin2", "县区账号管理员口令-2027")
    token = await invite(api, admin2, "gov2", "government")
    assert (await accept(api, token, "approver's secret 2")).status_code == 200
    sc = Scenario(api, await login(api, *OFFICE), 2099, admin=admin2)
    assert (await sc.account("gov2", "government", "approver's secret 2"))["Authorization"]
