"""A small world for the access tests (tests/api/test_api_authz_matrix.py, test_api_schemathesis.py):
one signed-in account of every role, two enterprises with one application and documents each, two
experts, an approved committee and an open cycle, and a notice for each enterprise. No award cycle
is driven further: the probes need real ids where ownership matters, and dummy ids elsewhere."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from conftest import ADMIN, OFFICE, bootstrap_admin, reset_state
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio.client import Client

from api.app import create_app
from config.settings import Settings
from db import models as m
from devstack.scenario import COMMITTEE, Scenario, password_of
from domain.types import Audience, DeliveryState, NoticeKind, Role

Headers = dict[str, str]

# Every kind of caller the probes play: name -> role. The committee is played by its chair and by a
# plain member. A new role is one line here (its account is invited by the administrator, the way
# `Scenario.account` invites every role but enterprise and expert).
PRINCIPALS: dict[str, Role] = {
    "admin": Role.ADMIN,
    "office": Role.OFFICE,
    "enterprise": Role.ENTERPRISE,
    "expert": Role.EXPERT,
    "committee_chair": Role.COMMITTEE,
    "committee_member": Role.COMMITTEE,
    "government": Role.GOVERNMENT,
    "auditor": Role.AUDITOR,
}
ANONYMOUS = "anonymous"


@dataclass
class World:
    api: httpx.AsyncClient
    year: int
    heads: dict[str, Headers] = field(default_factory=dict)  # principal -> auth headers
    credentials: dict[str, tuple[str, str]] = field(default_factory=dict)  # principal -> (username, password)
    # the other enterprise and the other expert, for the ownership probes
    other_enterprise: Headers = field(default_factory=dict)
    other_expert: Headers = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)  # path parameter -> a real value (first enterprise's)
    other_ids: dict[str, Any] = field(default_factory=dict)  # the second enterprise's and expert's
    rules: dict[str, Any] = field(default_factory=dict)  # the cycle's rules, as the committee approved them

    async def fresh_headers(self, principal: str) -> Headers:
        """A sign-in of its own (for a probe that ends the sign-in it is sent with)."""
        return await Scenario.login(self.api, *self.credentials[principal])


async def build_world(api: httpx.AsyncClient, sessions: async_sessionmaker[AsyncSession]) -> World:
    year = datetime.now(UTC).year
    office = await Scenario.login(api, *OFFICE)
    admin = await Scenario.login(api, *ADMIN)
    sc = Scenario(api, office, year, admin=admin)
    w = World(api, year)
    ent1 = await sc.enterprise(1, "温州鹿城甲测试有限公司")
    ent2 = await sc.enterprise(2, "温州鹿城乙测试有限公司")
    ex1 = await sc.expert(1)
    ex2 = await sc.expert(2)
    await sc.open_cycle(application_deadline=(datetime.now(UTC) + timedelta(days=30)).isoformat())
    app1 = await sc.apply(1, "QUALITY")
    app2 = await sc.apply(2, "QUALITY")
    doc1 = await sc.upload(1, b"%PDF-1.4\n% authz probe 1\n%%EOF\n", "probe.pdf")
    doc2 = await sc.upload(2, b"%PDF-1.4\n% authz probe 2\n%%EOF\n", "probe.pdf")
    async with sessions.begin() as s:
        ent_ids = {
            code: id_ for code, id_ in (await s.execute(select(m.Enterprise.credit_code, m.Enterprise.id)))
        }
        notices = [
            m.Notice(
                key=f"authz-probe-{ent['credit_code']}",
                kind=NoticeKind.QUALIFICATION_FEEDBACK,
                audience=Audience.ENTERPRISE,
                cycle_year=year,
                enterprise_id=ent_ids[ent["credit_code"]],
                application_id=app,
                title="资格审查反馈",
                body="（访问控制测试）",
                created_at=datetime.now(UTC),
                # delivered already (as the relay would): the probes must not wait for the relay
                delivery_state=DeliveryState.DELIVERED,
                delivery_channel="portal",
                delivered_at=datetime.now(UTC),
            )
            for ent, app in ((ent1, app1), (ent2, app2))
        ]
        s.add_all(notices)
        await s.flush()
        notice1, notice2 = notices[0].id, notices[1].id

    chair = next(name for name, position in COMMITTEE if position == "CHAIR")
    member = next(name for name, position in COMMITTEE if position == "MEMBER")  # a plain member
    w.credentials = {
        "admin": ADMIN,
        "office": OFFICE,
        "enterprise": ("ent1", password_of("ent1")),
        "expert": ("expert1", password_of("expert1")),
        "committee_chair": (chair, password_of(chair)),
        "committee_member": (member, password_of(member)),
        "government": ("gov", password_of("gov")),
    }
    w.heads = {
        "admin": admin,
        "office": office,
        "enterprise": sc.enterprise_heads[1],
        "expert": sc.expert_heads[ex1["id"]],
        "committee_chair": sc.committee[chair],
        "committee_member": sc.committee[member],
        "government": sc.government,
    }
    for name, role in PRINCIPALS.items():  # a role added to PRINCIPALS only: invited by the admin
        if name not in w.heads:
            password = password_of(name)
            w.heads[name] = await sc.account(name, role.value, password)
            w.credentials[name] = (name, password)
    w.rules = sc.rules
    w.other_enterprise = sc.enterprise_heads[2]
    w.other_expert = sc.expert_heads[ex2["id"]]
    w.ids = {
        "year": year,
        "credit_code": ent1["credit_code"],
        "expert_id": ex1["id"],
        "application_id": app1,
        "sha256": doc1,
        "notice_id": notice1,
    }
    w.other_ids = {
        "credit_code": ent2["credit_code"],
        "expert_id": ex2["id"],
        "application_id": app2,
        "sha256": doc2,
        "notice_id": notice2,
    }
    return w


async def world_client(
    settings: Settings, temporal_client: Client, sessions: async_sessionmaker[AsyncSession]
) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    """A fresh database and Temporal namespace, the app in-process and a client for it."""
    await reset_state(temporal_client, sessions)
    app = create_app(settings, temporal_client)
    async with app.router.lifespan_context(app):
        await bootstrap_admin(settings)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://award.test", timeout=60) as client:
            yield client, app
