"""Drive the award through its HTTP API the way its users do: used by `make demo` and the tests.

Every function acts as one of the system's users (office, enterprise, expert, committee member,
government) with that user's own token; nothing here reaches into the database or Temporal.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, TypeVar

import httpx

from domain.credit_code import CHARSET, check_character
from domain.rubric import load_rubric
from domain.rules import ITEM_COMMENTS_BELOW

T = TypeVar("T")
Headers = dict[str, str]
COMMITTEE = [
    ("chair", "CHAIR"),
    ("vice1", "VICE_CHAIR"),
    ("vice2", "VICE_CHAIR"),
    ("member1", "MEMBER"),
    ("member2", "MEMBER"),
]
# Art. 6: the chair and the vice-chairs sit by their posts; the other members are named with theirs.
COMMITTEE_POSTS = {
    "chair": "区政府分管副区长",
    "vice1": "区政府办公室联系副主任",
    "vice2": "区市场监管局局长",
    "member1": "区发展和改革局副局长",
    "member2": "区经济和信息化局副局长",
}


def roster_body() -> dict[str, Any]:
    """The sample committee's roster as the office proposes it (POST /cycles/{year}/committee)."""
    return {"members": [{"username": u, "position": p, "post": COMMITTEE_POSTS[u]} for u, p in COMMITTEE]}


class ScenarioError(AssertionError):
    """The system answered something a user would not expect at this step."""


def password_of(username: str) -> str:
    """The password a sample user (tests, make demo) sets for their account: 12+ characters, not
    the username, not a common password (the policy of domain.accounts)."""
    return "pw-" + hashlib.sha256(f"lucheng-sample:{username}".encode()).hexdigest()[:16]


def credit_code(n: int) -> str:
    """A valid unified social credit code (Wenzhou Lucheng prefix 330302) for sample enterprise n."""
    body = "".join(CHARSET[(n // 31**i) % 31] for i in range(9))
    first17 = "91330302" + body
    return first17 + check_character(first17)


def scores(pct: int, **items: int) -> dict[str, int]:
    """A score sheet of the 2012 rubric: `pct` on every item, some items set otherwise (4_1_1=30)."""
    base = dict.fromkeys(load_rubric("GB/T 19580-2012").item_codes, pct)
    return {**base, **{k.replace("_", "."): v for k, v in items.items()}}


def item_comments(sheet: dict[str, int], *, below: int = 101) -> dict[str, dict[str, str]]:
    """What a reviewer writes on each item of `sheet` scored below `below` percent (every item by
    default): strengths and opportunities for improvement as the band of its score suggests — a
    process item judged by its approach and deployment, a result item by its levels, trends and
    comparisons (GB/Z 19579)."""
    rubric = load_rubric("GB/T 19580-2012")
    process = {
        70: ("方面的方法系统有效、展开充分，已成为关键管理工具", "方面可进一步与行业标杆对比，巩固领先优势"),
        50: ("方面已形成系统的方法并展开良好", "方面的评价、改进和组织学习有待深化"),
        0: ("方面已开始建立系统的方法", "方面的方法尚未全面展开，缺少基于事实的评价和改进"),
    }
    result = {
        70: ("的主要指标处于行业先进水平，改进趋势可持续", "方面可扩大与标杆的对比范围"),
        50: ("的大多数指标呈改进趋势，重要方面无不良趋势", "方面缺少与竞争对手和标杆的对比数据"),
        0: ("的部分指标开始改善", "方面的趋势数据不完整，缺少对比信息"),
    }
    out: dict[str, dict[str, str]] = {}
    for code, pct in sheet.items():
        if pct >= below:
            continue
        item = rubric.item(code)
        said = (result if item.kind.value == "RESULT" else process)[max(b for b in (0, 50, 70) if pct >= b)]
        out[code] = {"strengths": item.name_zh + said[0], "opportunities": item.name_zh + said[1]}
    return out


def pdf(text: str) -> bytes:
    """A small document the API takes for a PDF (it tells an upload's type by its first bytes):
    a PDF header, `text`, and the end-of-file marker."""
    return b"%PDF-1.4\n% " + text.encode() + b"\n%%EOF\n"


def expect(r: httpx.Response, *status: int) -> dict[str, Any]:
    """The JSON object of a response with one of the expected statuses."""
    if r.status_code not in status:
        raise ScenarioError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text}")
    body = r.json() if r.content else {}
    if not isinstance(body, dict):
        raise ScenarioError(f"{r.request.url.path}: expected an object, got {type(body).__name__}")
    return body


async def eventually(
    probe: Callable[[], Awaitable[T | None]], *, timeout: float = 60, every: float = 0.25, what: str = ""
) -> T:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    last: T | None = None
    while loop.time() < end:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(every)
    raise ScenarioError(f"{what or 'condition'} not reached in {timeout}s; last value: {last!r}")


@dataclass
class Scenario:
    """One cycle driven through the API."""

    api: httpx.AsyncClient
    office: Headers
    year: int
    admin: Headers = field(default_factory=dict)  # invites the office, committee and government accounts
    enterprises: dict[int, dict[str, Any]] = field(default_factory=dict)
    enterprise_heads: dict[int, Headers] = field(default_factory=dict)
    experts: dict[int, dict[str, Any]] = field(default_factory=dict)  # by expert id
    expert_heads: dict[int, Headers] = field(default_factory=dict)  # by expert id
    committee: dict[str, Headers] = field(default_factory=dict)
    government: Headers = field(default_factory=dict)
    applications: dict[int, str] = field(default_factory=dict)  # enterprise n -> application id
    rules: dict[str, Any] = field(default_factory=dict)

    # --- people -----------------------------------------------------------------------------------
    @staticmethod
    async def login(api: httpx.AsyncClient, username: str, password: str) -> Headers:
        r = await api.post("/auth/token", data={"username": username, "password": password})
        return {"Authorization": f"Bearer {expect(r, 200)['access_token']}"}

    @staticmethod
    async def accept(api: httpx.AsyncClient, invitation: dict[str, Any], password: str) -> None:
        """The invitee sets their own password with the one-time token their manager handed over."""
        body = {"token": invitation["token"], "password": password}
        expect(await api.post("/auth/invitations/accept", json=body), 200)

    async def account(
        self, username: str, role: str, password: str, display_name: str = "", enterprise: str | None = None
    ) -> Headers:
        """The account's manager invites it (the admin: office, committee and government accounts;
        the office: enterprise and expert accounts), the invitee sets `password` and signs in. An
        account that exists already (an earlier run) signs in, or is invited anew if its password
        is another one."""
        manager = self.office if role in ("enterprise", "expert") else self.admin
        body: dict[str, Any] = {"username": username, "role": role, "display_name": display_name or username}
        if enterprise:
            body["enterprise_credit_code"] = enterprise
        created = expect(await self.api.post("/users", headers=manager, json=body), 201, 409)
        if "invitation" not in created:
            r = await self.api.post("/auth/token", data={"username": username, "password": password})
            if r.status_code == 200:
                return {"Authorization": f"Bearer {r.json()['access_token']}"}
            created = expect(await self.api.post(f"/users/{username}/invitation", headers=manager), 200)
        await self.accept(self.api, created["invitation"], password)
        return await self.login(self.api, username, password)

    async def enterprise(
        self, n: int, name: str, *, facts: Sequence[dict[str, Any]] | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """The office registers an enterprise, its eligibility facts and its account."""
        today = datetime.now(UTC).date()
        body: dict[str, Any] = {
            "credit_code": credit_code(n),
            "name": name,
            "registered_district": "鹿城区",
            "tax_district": "鹿城区",
            "independent_legal_person": True,
            "registration_date": "2012-05-18",
            "field": "INDUSTRY",
            "sector_tags": ["INTELLIGENT_EQUIPMENT"],
            **overrides,
        }
        ent = expect(await self.api.post("/enterprises", headers=self.office, json=body), 201)
        default_facts: list[dict[str, Any]] = [
            {
                "kind": "QMS_CERTIFICATE",
                "on": str(today - timedelta(days=500)),
                "number": f"CQC-{n:05d}",
                "body": "中国质量认证中心",
                "valid_from": str(today - timedelta(days=500)),
                "valid_to": str(today + timedelta(days=600)),
            },
            {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=20)), "status": "GOOD"},
            {
                "kind": "INNOVATION_RESULT",
                "on": str(today - timedelta(days=200)),
                "summary": "主导制定团体标准一项",
            },
        ]
        for fact in default_facts if facts is None else facts:
            expect(
                await self.api.post(
                    f"/enterprises/{ent['credit_code']}/facts",
                    headers=self.office,
                    json={"source": "鹿城区市场监督管理局", "evidence": f"鹿市监记〔{n}〕号", **fact},
                ),
                201,
            )
        self.enterprises[n] = ent
        self.enterprise_heads[n] = await self.account(
            f"ent{n}", "enterprise", password_of(f"ent{n}"), f"{name}联系人", ent["credit_code"]
        )
        return ent

    async def expert(
        self, k: int, *, fields: Sequence[str] = ("INDUSTRY", "SERVICES"), employer: str | None = None
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": f"专家{k:02d}",
            "qualifications": ["高级工程师", "卓越绩效评价师"],
            "fields": list(fields),
            "username": f"expert{k}",
        }
        if employer:
            body |= {"current_employer_credit_code": employer, "current_employer_name": "（任职单位）"}
        e = expect(await self.api.post("/experts", headers=self.office, json=body), 201)
        await self.accept(self.api, e.pop("invitation"), password_of(f"expert{k}"))
        self.experts[e["id"]] = e
        self.expert_heads[e["id"]] = await self.login(self.api, f"expert{k}", password_of(f"expert{k}"))
        await self.sign_undertaking(self.api, self.expert_heads[e["id"]], self.year)
        return e

    @staticmethod
    async def sign_undertaking(api: httpx.AsyncClient, expert: Headers, year: int) -> dict[str, Any]:
        """The expert reads the cycle's undertaking (承诺书, Art. 20) and signs that text: until then
        no panel of the cycle seats them and none of its assignments is shown to them."""
        text = expect(await api.get(f"/cycles/{year}/undertaking", headers=expert), 200)
        body = {"version": text["version"], "text_sha256": text["text_sha256"], "agree": True}
        return expect(await api.post(f"/cycles/{year}/undertaking/signature", headers=expert, json=body), 200)

    # --- the call ---------------------------------------------------------------------------------
    async def open_cycle(self, **rules: Any) -> dict[str, Any]:
        """Roster approved by the government, rules approved by the committee, then the call (R6.1, R7.1, R3.1)."""
        await self.seat_committee()
        self.rules = {"year": self.year, **rules}
        expect(
            await self.api.post(
                f"/cycles/{self.year}/rules/approve",
                headers=self.committee["chair"],
                json={"rules": self.rules},
            ),
            200,
        )
        return expect(await self.api.post("/cycles", headers=self.office, json=self.rules), 201)

    async def seat_committee(self) -> None:
        """The committee's and the government's accounts, and the roster unless the cycle has one."""
        await self.committee_accounts()
        if (await self.api.get(f"/cycles/{self.year}/committee")).status_code == 404:
            await self.appoint_committee()

    async def committee_accounts(self) -> None:
        """The committee members' and the government's accounts."""
        for u, _ in COMMITTEE:
            self.committee[u] = await self.account(u, "committee", password_of(u), f"评委{u}")
        self.government = await self.account("gov", "government", password_of("gov"), "区政府")

    async def appoint_committee(self) -> None:
        """The office proposes the roster of Art. 6, the government approves and publishes it (R6.1)."""
        expect(
            await self.api.post(f"/cycles/{self.year}/committee", headers=self.office, json=roster_body()),
            201,
        )
        expect(
            await self.api.post(
                f"/cycles/{self.year}/committee/approve",
                headers=self.government,
                json={"document_no": f"鹿政办〔{self.year}〕1号"},
            ),
            200,
        )

    async def upload(self, n: int, content: bytes, name: str) -> str:
        r = await self.api.post(
            "/documents", headers=self.enterprise_heads[n], files={"file": (name, content, "application/pdf")}
        )
        sha = expect(r, 201)["sha256"]
        assert sha == hashlib.sha256(content).hexdigest()
        return str(sha)

    async def apply(self, n: int, award: str, *, self_pct: int = 70) -> str:
        docs = [
            {
                "kind": "SELF_ASSESSMENT_REPORT",
                "sha256": await self.upload(n, pdf(f"自我评价报告{n}"), "report.pdf"),
                "title": "自我评价报告",
            },
            {
                "kind": "APPLICATION_FORM",
                "sha256": await self.upload(n, pdf(f"申报表{n}"), "form.pdf"),
                "title": "鹿城区政府质量奖申报表",
            },
            {
                "kind": "EVIDENCE",
                "sha256": await self.upload(n, pdf(f"证明材料{n}"), "evidence.pdf"),
                "title": "证明材料",
            },
        ]
        r = await self.api.post(
            f"/cycles/{self.year}/applications",
            headers=self.enterprise_heads[n],
            json={
                "award": award,
                "documents": docs,
                "self_assessment": scores(self_pct),
                "contact_name": "申报联系人",
            },
        )
        app_id = str(expect(r, 201)["application_id"])
        self.applications[n] = app_id
        return app_id

    @property
    def comments_below(self) -> int:
        """The band of the cycle's rules under which an item's score needs its comments (R14.4)."""
        return int(self.rules.get("item_comments_below", ITEM_COMMENTS_BELOW))

    async def feedback(self, n: int) -> dict[str, Any]:
        """Enterprise n reads its feedback report (once the path of its application has ended)."""
        app_id = self.applications[n]

        async def issued() -> dict[str, Any] | None:
            r = await self.api.get(f"/applications/{app_id}/feedback", headers=self.enterprise_heads[n])
            return expect(r, 200) if r.status_code != 404 else None

        return await eventually(issued, what=f"the feedback report of {app_id}")

    # --- reading ----------------------------------------------------------------------------------
    async def app(self, app_id: str) -> dict[str, Any]:
        return expect(await self.api.get(f"/applications/{app_id}", headers=self.office), 200)

    async def wait_stage(self, app_id: str, *stages: str, timeout: float = 60) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            a = await self.app(app_id)
            return a if a["stage"] in stages else None

        return await eventually(probe, timeout=timeout, what=f"{app_id} in {stages}")

    async def wait_cycle(self, *stages: str, timeout: float = 60) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            c = expect(await self.api.get(f"/cycles/{self.year}", headers=self.office), 200)
            return c if c["stage"] in stages else None

        return await eventually(probe, timeout=timeout, what=f"cycle {self.year} in {stages}")

    # --- qualification ----------------------------------------------------------------------------
    async def qualify(self, app_id: str, *, truthful: bool = True) -> dict[str, Any]:
        """The office decides: every condition needing judgement passes with a reason."""

        async def checked() -> dict[str, Any] | None:  # the live stage may run ahead of the records
            a = await self.app(app_id)
            return a if a["stage"] == "QUALIFICATION_DECISION" and a["qualification"] else None

        a = await eventually(checked, what=f"{app_id} checked and awaiting the decision")
        judged = [
            {"condition": c["condition"], "status": "PASS", "reason": "经核查申报材料，符合要求"}
            for c in a["qualification"]
            if c["auto_status"] == "NEEDS_JUDGEMENT"
        ]
        body = {
            "decisions": judged,
            "material_truthful": truthful,
            "note": "资格审查",
            "truthfulness_note": "" if truthful else "申报材料与实际情况不符",
        }
        return expect(
            await self.api.post(
                f"/applications/{app_id}/qualification-decision", headers=self.office, json=body
            ),
            200,
        )

    # --- review -----------------------------------------------------------------------------------
    async def draw(self, visits: dict[str, date] | None = None) -> dict[str, Any]:
        body = {"visits": {a: str(d) for a, d in (visits or {}).items()}}
        return expect(await self.api.post(f"/cycles/{self.year}/panels", headers=self.office, json=body), 200)

    async def panel(self, app_id: str, purpose: str) -> list[dict[str, Any]]:
        async def probe() -> list[dict[str, Any]] | None:
            return (await self.app(app_id)).get("panels", {}).get(purpose) or None

        return await eventually(probe, what=f"{purpose} panel of {app_id}")

    async def document_review(
        self, app_id: str, pct: int, opinion: str = "卓越绩效管理体系较完善，结果指标良好。"
    ) -> str:
        """Every member scores `pct` on every item, with the strengths and opportunities of the items
        below the cycle's band; then the leader consolidates, writing them for every item (the
        applicant's feedback report, R14.4)."""
        await self.wait_stage(app_id, "DOCUMENT_REVIEW")
        seats = await self.panel(app_id, "DOCUMENT")
        for seat in seats:
            expect(
                await self.api.post(
                    f"/applications/{app_id}/scores",
                    headers=self.expert_heads[seat["expert_id"]],
                    json={
                        "scores": scores(pct),
                        "strengths": "领导作用突出",
                        "improvements": "过程管理有待加强",
                        "item_comments": item_comments(scores(pct), below=self.comments_below),
                    },
                ),
                200,
            )
        leader = next(s["expert_id"] for s in seats if s["leader"])
        r = await self.api.post(
            f"/applications/{app_id}/panel-opinion",
            headers=self.expert_heads[leader],
            json={"scores": scores(pct), "opinion": opinion, "item_comments": item_comments(scores(pct))},
        )
        return str(expect(r, 200)["total"])

    async def onsite_list(self, listed: Sequence[str], note: str = "") -> None:
        await self.wait_cycle("ONSITE_SELECTION")
        expect(
            await self.api.post(
                f"/cycles/{self.year}/onsite-list",
                headers=self.office,
                json={"application_ids": list(listed), "note": note},
            ),
            200,
        )

    async def onsite_report(self, app_id: str, pct: int, *, comments: bool = True) -> None:
        """The panel leader reports the on-site review (with its item comments unless `comments` is
        False); returns once the enterprise is asked to confirm."""
        await self.wait_stage(app_id, "ONSITE_REVIEW")
        seats = await self.panel(app_id, "ONSITE")
        leader = next(s["expert_id"] for s in seats if s["leader"])
        body: dict[str, Any] = {"scores": scores(pct), "opinion": "现场核实了质量管理体系运行情况。"}
        if comments:
            body["item_comments"] = item_comments(scores(pct), below=self.comments_below)
        expect(
            await self.api.post(
                f"/applications/{app_id}/onsite-report", headers=self.expert_heads[leader], json=body
            ),
            200,
        )
        await self.wait_stage(app_id, "ONSITE_CONFIRMATION")

    async def onsite_review(self, app_id: str, pct: int, *, dispute: str = "") -> str:
        """The leader reports; the enterprise confirms (or disputes and the office settles)."""
        await self.onsite_report(app_id, pct)
        owner = next(n for n, a in self.applications.items() if a == app_id)
        h = self.enterprise_heads[owner]
        if dispute:
            expect(
                await self.api.post(
                    f"/applications/{app_id}/onsite-confirmation",
                    headers=h,
                    json={"confirmed": False, "reason": dispute},
                ),
                200,
            )
            await self.wait_stage(app_id, "ONSITE_DISPUTED")
            r = await self.api.post(
                f"/applications/{app_id}/onsite-settlement",
                headers=self.office,
                json={"settlement": "经核实，维持现场评审结论"},
            )
            total = str(expect(r, 200)["onsite_total"])
        else:
            expect(
                await self.api.post(
                    f"/applications/{app_id}/onsite-confirmation", headers=h, json={"confirmed": True}
                ),
                200,
            )
            total = f"{10 * pct}.00"
        await self.wait_stage(app_id, "AWAITING_COMMITTEE")
        return total

    # --- committee --------------------------------------------------------------------------------
    async def assign_investigator(self, objection_id: str, username: str) -> dict[str, Any]:
        """The office assigns an investigator to a named objection."""
        r = await self.api.post(
            f"/objections/{objection_id}/investigator", headers=self.office, json={"username": username}
        )
        return expect(r, 200)

    async def report_objection(
        self, objection_id: str, investigator: Headers, conclusion: str, findings: str
    ) -> dict[str, Any]:
        """The investigator reports its conclusion on an objection."""
        r = await self.api.post(
            f"/objections/{objection_id}/report",
            headers=investigator,
            json={"conclusion": conclusion, "findings": findings},
        )
        return expect(r, 200)

    async def decide_objection(self, objection_id: str, decision: str, reasons: str) -> dict[str, Any]:
        """The committee chair decides on an investigated objection (审查, Art. 14(5))."""
        r = await self.api.post(
            f"/objections/{objection_id}/decision",
            headers=self.committee["chair"],
            json={"decision": decision, "reasons": reasons},
        )
        return expect(r, 201)

    async def fix_final_list(self, **body: Any) -> dict[str, Any]:
        """The committee chair fixes (or revises) the final list; the list's version as answered."""
        r = await self.api.post(f"/cycles/{self.year}/final-list", headers=self.committee["chair"], json=body)
        return expect(r, 200)

    async def decide_approval(self, **body: Any) -> dict[str, Any]:
        """The district government approves or returns the final list."""
        r = await self.api.post(f"/cycles/{self.year}/approval", headers=self.government, json=body)
        return expect(r, 200)

    async def convene(self, attendees: Sequence[str] | None = None) -> dict[str, Any]:
        await self.wait_cycle("AWAITING_COMMITTEE")
        body = {"attendees": list(attendees or [u for u, _ in COMMITTEE])}
        return expect(
            await self.api.post(f"/cycles/{self.year}/meeting", headers=self.office, json=body), 200
        )

    async def vote(self, meeting_id: str, member: str, choices: dict[str, str]) -> httpx.Response:
        return await self.api.post(
            f"/meetings/{meeting_id}/ballot", headers=self.committee[member], json={"choices": choices}
        )
