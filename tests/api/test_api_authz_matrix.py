"""The access matrix (R20.2, R6.1, P6): every route of the app, as every role and as nobody, against
the policy in tests/authz_policy.py; then the ownership probes (one enterprise, one expert against
another's records).

Each probe sends an empty JSON body (or none): a caller the route refuses gets 401 (nobody signed
in) or 403 (a wrong role) before the body is read, never a 2xx and never a 5xx; a caller it lets
through gets anything but 401/403 (mostly 422 for the empty body, or 404 for a dummy id), and never
a 5xx. Path parameters are real ids of a small world (tests/authz_world.py) where ownership
matters, dummy ids elsewhere."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from authz_policy import POLICY, Rule
from authz_world import ANONYMOUS, PRINCIPALS, World, build_world, world_client
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from config.settings import Settings
from devstack.scenario import scores

# path parameters with no real record in the world: the type's dummy
DUMMY_STR = "authz-none"
DUMMY_INT = 987654
# probes that end the sign-in they are sent with get a sign-in of their own
OWN_SIGN_IN = {("POST", "/auth/logout")}


@pytest.fixture(scope="module")
async def world(
    settings: Settings, temporal_client: Client, worker: None, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[World, FastAPI]]:
    async for api, app in world_client(settings, temporal_client, sessions):
        yield await build_world(api, sessions), app


def app_routes(app: FastAPI) -> dict[tuple[str, str], Any]:
    """(method, path) -> the route, for every route of the app (HEAD answered by GET left out)."""
    found: dict[tuple[str, str], Any] = {}
    for ctx in iter_route_contexts(app.routes):
        for method in ctx.methods or ():
            if method != "HEAD":
                found[(method, ctx.path)] = ctx.original_route
    return found


def fill(path: str, route: Any, ids: dict[str, Any]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in ids:
            return str(ids[name])
        field = (
            next((p for p in route.dependant.path_params if p.name == name), None)
            if isinstance(route, APIRoute)
            else None
        )
        return str(DUMMY_INT) if field is not None and field.field_info.annotation is int else DUMMY_STR

    return re.sub(r"\{(\w+)\}", value, path)


async def probe(
    w: World, method: str, url: str, principal: str, *, sign_in_of_its_own: bool
) -> httpx.Response:
    headers: dict[str, str] = {}
    if principal != ANONYMOUS:
        headers = await w.fresh_headers(principal) if sign_in_of_its_own else w.heads[principal]
    if method == "GET":
        return await w.api.get(url, headers=headers)
    return await w.api.request(method, url, headers=headers, json={})


def verdict(rule: Rule, principal: str, status: int) -> str | None:
    """What is wrong with `status` as the answer to `principal` under `rule` (None: nothing)."""
    if status >= 500:
        return "a server error"
    if rule.public:
        return f"{status} from a public route" if status in (401, 403) else None
    if principal == ANONYMOUS:
        return None if status == 401 else f"{status}, expected 401"
    role = PRINCIPALS[principal]
    if role in rule.own or (rule.chair_only and principal == "committee_member"):
        return f"{status}: a signed-in caller answered 401" if status == 401 else None
    if role in rule.allowed:
        return f"{status}: an allowed role was refused" if status in (401, 403) else None
    return None if status == 403 else f"{status}, expected 403 (role {role} is not allowed)"


@pytest.mark.req("R20.2")
@pytest.mark.req("R6.1")
@pytest.mark.req("P6")
async def test_every_route_has_a_policy_and_keeps_it(world: tuple[World, FastAPI]) -> None:
    w, app = world
    routes = app_routes(app)
    missing = sorted(set(routes) - set(POLICY))
    assert not missing, (
        "routes without an entry in tests/authz_policy.py POLICY; add one line each, naming the roles "
        f"allowed (allow(...), own=...) or PUBLIC: {missing}"
    )
    stale = sorted(set(POLICY) - set(routes))
    assert not stale, f"entries in tests/authz_policy.py POLICY for routes the app does not have: {stale}"

    started = time.monotonic()
    wrong: list[str] = []
    count = 0
    for (method, path), route in sorted(routes.items()):
        rule = POLICY[(method, path)]
        url = fill(path, route, w.ids)
        for principal in (ANONYMOUS, *PRINCIPALS):
            r = await probe(w, method, url, principal, sign_in_of_its_own=(method, path) in OWN_SIGN_IN)
            count += 1
            if (problem := verdict(rule, principal, r.status_code)) is not None:
                wrong.append(f"{method} {path} as {principal}: {problem}: {r.text[:200]}")
    assert not wrong, f"{len(wrong)} of {count} probes broke the policy:\n" + "\n".join(wrong)
    assert count == len(routes) * (len(PRINCIPALS) + 1)
    print(
        f"authz matrix: {len(routes)} routes x {len(PRINCIPALS) + 1} callers, {time.monotonic() - started:.1f}s"
    )


@pytest.mark.req("R20.2")
@pytest.mark.req("P6")
async def test_an_enterprise_cannot_reach_another_enterprises_records(world: tuple[World, FastAPI]) -> None:
    w, _ = world
    api, mine, theirs = w.api, w.heads["enterprise"], w.ids  # enterprise 1's records
    other = w.other_enterprise  # enterprise 2's account
    assert (await api.get(f"/applications/{theirs['application_id']}", headers=mine)).status_code == 200
    # the API's convention: 403 where the record's existence is no secret (an application id, an
    # organisation), 404 where it is (a document's hash, a notice): "do not reveal that it exists"
    assert (await api.get(f"/applications/{theirs['application_id']}", headers=other)).status_code == 403
    assert (
        await api.get(f"/applications/{theirs['application_id']}/reviews", headers=other)
    ).status_code == 403
    # the feedback report (R14.4): not another's; one's own is 404 until the path has ended
    feedback = f"/applications/{theirs['application_id']}/feedback"
    assert (await api.get(feedback, headers=other)).status_code == 403
    assert (await api.get(feedback + "/letter", headers=other)).status_code == 403
    assert (await api.get(feedback, headers=mine)).status_code == 404
    r = await api.post(
        f"/applications/{theirs['application_id']}/onsite-confirmation",
        headers=other,
        json={"confirmed": True},
    )
    assert r.status_code == 403, r.text
    assert (await api.get(f"/enterprises/{theirs['credit_code']}", headers=other)).status_code == 403
    assert (await api.get(f"/documents/{theirs['sha256']}", headers=other)).status_code == 404
    assert (await api.get(f"/documents/{theirs['sha256']}", headers=mine)).status_code == 200
    assert (await api.post(f"/notices/{theirs['notice_id']}/read", headers=other)).status_code == 404
    listed = (await api.get("/applications", headers=other)).json()
    assert theirs["application_id"] not in {a["id"] for a in listed["items"]}
    assert w.other_ids["application_id"] in {a["id"] for a in listed["items"]}
    notices = (await api.get("/notices", headers=other)).json()
    assert theirs["notice_id"] not in {n["id"] for n in notices}
    assert w.other_ids["notice_id"] in {n["id"] for n in notices}


@pytest.mark.req("R20.2")
@pytest.mark.req("P6")
async def test_an_expert_cannot_read_an_application_they_do_not_review(world: tuple[World, FastAPI]) -> None:
    w, _ = world
    api, expert, ids = w.api, w.heads["expert"], w.ids  # expert 1 sits on no panel
    app = ids["application_id"]
    assert (await api.get(f"/applications/{app}", headers=expert)).status_code == 403
    assert (await api.get(f"/applications/{app}/scores", headers=expert)).status_code == 403
    assert (await api.get(f"/applications/{app}/reviews", headers=expert)).status_code == 403
    assert (await api.get(f"/applications/{app}/feedback", headers=expert)).status_code == 403
    body = {"scores": scores(70), "strengths": "领导作用突出", "improvements": "过程管理有待加强"}
    assert (await api.post(f"/applications/{app}/scores", headers=expert, json=body)).status_code == 403
    assert (await api.get(f"/documents/{ids['sha256']}", headers=expert)).status_code == 404
    assert (await api.get("/expert/assignments", headers=expert)).json() == []
    # one expert's record is not another's
    assert (await api.get(f"/experts/{ids['expert_id']}", headers=expert)).status_code == 200
    assert (await api.get(f"/experts/{ids['expert_id']}", headers=w.other_expert)).status_code == 403
    r = await api.post(
        f"/experts/{ids['expert_id']}/availability",
        headers=w.other_expert,
        json={"available": False, "reason": "出差"},
    )
    assert r.status_code == 403, r.text


@pytest.mark.req("R6.1")
@pytest.mark.req("R20.2")
async def test_only_the_chair_acts_for_the_committee(world: tuple[World, FastAPI]) -> None:
    w, _ = world
    api, member, year = w.api, w.heads["committee_member"], w.year
    r = await api.post(f"/cycles/{year}/rules/approve", headers=member, json={"rules": w.rules})
    assert r.status_code == 403, r.text
    r = await api.post(f"/cycles/{year}/final-list", headers=member, json={})
    assert r.status_code == 403, r.text
    # a member of this year's committee reads its records; the chair acts (here: the stage refuses)
    assert (await api.get(f"/cycles/{year}/work-report", headers=member)).status_code == 404
    r = await api.post(f"/cycles/{year}/final-list", headers=w.heads["committee_chair"], json={})
    assert r.status_code not in (401, 403) and r.status_code < 500, r.text
