"""`make demo`: one whole sample award cycle, driven through the HTTP API in a few minutes.

Needs `make run` up (or any running API: AWARD_API_URL, default http://127.0.0.1:8000). Acts as the
system's users do, each with their own account: the office registers enterprises and experts and
runs the procedure, enterprises apply and confirm, experts score, the committee votes in secret,
the public objects, an investigator reports to the committee, which decides on the finding and
fixes the list; the government returns it once with its reasons, the committee revises it, and the
government approves the second version.

The cycle runs under demo rules (`demo=True`): every period is seconds instead of days, so the
durable timers of the workflows (deadline, reminders, deemed confirmation, the public notice) fire
while you watch. Eight enterprises take part, and one application ends at each stage:

    qualification  (资格审查)  its QMS certificate expired before the deadline
    on-site list   (现场评审名单)  document score below the threshold; feedback with the panel opinion
    secret ballot  (审查表决)  most committee members vote REJECT
    run-off ballot (决选投票)  two innovation candidates tie at the cut-off of the quota (2): the
                               notice waits for a run-off among them (one refused without quorum)
    public notice  (初选公示)  a named objection is investigated and found SUBSTANTIATED; the
                              committee first keeps the candidate, the government returns the
                              list, and the committee's second version removes it (审定批准)

Every applicant that reached document review receives a feedback report (评审反馈报告) after the
stage that ended its path — per rubric item the panel's band, strengths and opportunities for
improvement, and the on-site findings; the demo prints the report of the one rejected in the ballot.

The year is next year, or this year if next year's cycle exists already; numbering of enterprises and
experts is offset by the year so that runs in different years do not collide.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from config.settings import DEV_ADMIN, DEV_OFFICE  # noqa: E402
from devstack.scenario import (  # noqa: E402
    COMMITTEE,
    Scenario,
    ScenarioError,
    credit_code,
    eventually,
    expect,
    password_of,
)
from domain.calendar import CST, cst_date  # noqa: E402

API_URL = (os.environ.get("AWARD_API_URL") or "http://127.0.0.1:8000").rstrip("/")
OFFICE_USER = os.environ.get("AWARD_BOOTSTRAP_OFFICE_USERNAME") or DEV_OFFICE[0]
OFFICE_PASSWORD = os.environ.get("AWARD_BOOTSTRAP_OFFICE_PASSWORD") or DEV_OFFICE[1]
# The administrator that `make run` creates with the CLI (api.cli); it invites the committee,
# the government and the investigator's office account.
ADMIN_USER = os.environ.get("AWARD_DEV_ADMIN_USERNAME") or DEV_ADMIN[0]
ADMIN_PASSWORD = os.environ.get("AWARD_DEV_ADMIN_PASSWORD") or DEV_ADMIN[1]
NAMESPACE = os.environ.get("AWARD_TEMPORAL_NAMESPACE") or "default"
TEMPORAL_UI = (
    os.environ.get("AWARD_TEMPORAL_UI_URL")
    or f"http://127.0.0.1:{os.environ.get('AWARD_TEMPORAL_UI_PORT') or 8233}"
).rstrip("/")
HTTP_TIMEOUT = 30.0

# Demo rules: every duration is a rule of the cycle (domain/rules.py), here seconds instead of days.
DEADLINE_IN = 20  # seconds from the start of the cycle to the application deadline
DEMO_RULES: dict[str, Any] = {
    "demo": True,
    "quota_quality": 5,
    "quota_innovation": 2,  # E7 and E8 tie for the second seat: a run-off ballot decides
    "min_final_score": 600,
    "panel_size": 3,
    "expert_load_cap": 5,
    "document_review_period": 60,
    "review_reminder_before": 20,
    "onsite_threshold": 500,
    "onsite_confirmation_period": 40,
    "onsite_reminder_before": 15,
    "public_notice_period": 30,
    "objection_investigation_period": 40,
    "objection_reminder_before": 15,
    "notes": "演示评审周期（make demo）：各期限以秒计，仅用于演示",
}

STAGES = {
    "SET-UP": "准备：企业、专家、评委会",
    "CALL_OPEN": "申报受理",
    "QUALIFICATION_REVIEW": "资格审查",
    "DOCUMENT_REVIEW": "资料评审",
    "ONSITE_SELECTION": "确定现场评审名单",
    "ONSITE_REVIEW": "现场评审",
    "AWAITING_COMMITTEE": "待评委会审查表决",
    "BALLOT": "审查表决（无记名投票）",
    "RUNOFF": "决选投票（并列申报）",
    "PUBLIC_NOTICE": "初选公示",
    "FINAL_LIST": "确定拟授奖名单",
    "GOVERNMENT_APPROVAL": "区政府审定批准",
    "SUPPLEMENTARY_NOTICE": "补充公示",
    "PUBLICATION": "公布、颁证",
    "COMPLETED": "完成，颁发证书",
}
AWARD_ZH = {"QUALITY": "区政府质量奖", "INNOVATION": "质量管理创新奖"}


class DemoError(Exception):
    """The demo cannot run here (API down, years used up); the message says what to do."""


@dataclass
class Sample:
    """One sample enterprise and what happens to its application."""

    key: int  # 1..8, offset by the year's block for credit codes and accounts
    name: str
    award: str
    fate: str  # expected final outcome
    story: str
    sector: str = "INDUSTRY"  # Art. 2 field: INDUSTRY, CONSTRUCTION or SERVICES
    tags: list[str] = field(default_factory=list)
    doc_pct: int = 0  # document review score, percent on every rubric item (total = 10 x pct)
    onsite_pct: int = 0
    expired_qms: bool = False
    silent: bool = False  # never answers the on-site report: deemed confirmed by a timer
    dispute: str = ""

    @property
    def label(self) -> str:
        return f"E{self.key} {self.name}"


SAMPLES = [
    Sample(1, "温州瓯江智能阀门有限公司", "QUALITY", "AWARDED", "winner (an expert works here: conflict detected)",
           tags=["INTELLIGENT_EQUIPMENT", "LEADING_BACKBONE"], doc_pct=80, onsite_pct=85),
    Sample(2, "鹿城南塘眼镜制造有限公司", "QUALITY", "NOT_QUALIFIED", "fails qualification: QMS certificate expired",
           tags=["TRADITIONAL_ADVANTAGE"], expired_qms=True),
    Sample(3, "温州五马街商贸服务有限公司", "QUALITY", "NOT_SHORTLISTED", "left off the on-site list: low document score",
           sector="SERVICES", tags=["MODERN_SERVICES"], doc_pct=45),
    Sample(4, "鹿城双屿鞋业有限公司", "QUALITY", "NOT_AWARDED", "rejected in the committee's secret ballot",
           tags=["TRADITIONAL_ADVANTAGE"], doc_pct=70, onsite_pct=75),
    Sample(5, "温州江心屿电气科技有限公司", "QUALITY", "NOT_AWARDED", "kept in v1, removed in v2 after the return",
           tags=["ADVANCED_MANUFACTURING"], doc_pct=75, onsite_pct=80),
    Sample(6, "鹿城数智医疗器械有限公司", "INNOVATION", "AWARDED", "winner (an anonymous objection: not substantiated)",
           tags=["LIFE_HEALTH"], doc_pct=70, onsite_pct=70),
    Sample(7, "温州蒲鞋市软件信息有限公司", "INNOVATION", "NOT_AWARDED", "ties E8 at the cut-off, loses the run-off (disputed its on-site report, office settled)",
           sector="SERVICES", tags=["DIGITAL_ECONOMY"], doc_pct=65, onsite_pct=65,
           dispute="对“过程管理”条目的现场评分有异议，已补充提交过程控制记录"),
    Sample(8, "鹿城新材料包装有限公司", "INNOVATION", "AWARDED", "winner of the run-off ballot (stays silent: on-site report deemed confirmed)",
           tags=["NEW_MATERIALS"], doc_pct=65, onsite_pct=65, silent=True),
]  # fmt: skip
EXPERTS = 10
CONFLICTED_EXPERT = 1  # works for E1: the draw must never seat them on E1's panel

_t0 = time.monotonic()


def say(text: str = "") -> None:
    print(f"[{time.monotonic() - _t0:6.1f}s] {text}" if text else "", flush=True)


def banner(stage: str, note: str = "") -> None:
    print(flush=True)
    say(f"=== {stage} · {STAGES.get(stage, '')} ===" + (f"  {note}" if note else ""))


def expect_list(r: httpx.Response) -> list[dict[str, Any]]:
    if r.status_code != 200:
        raise ScenarioError(f"{r.request.method} {r.request.url.path} -> {r.status_code}: {r.text}")
    body = r.json()
    if not isinstance(body, list):
        raise ScenarioError(f"{r.request.url.path}: expected a list")
    return body


def cst(iso: str) -> str:
    """An instant from the API (ISO 8601) as China Standard Time, to the second."""
    return datetime.fromisoformat(iso).astimezone(CST).strftime("%Y-%m-%d %H:%M:%S CST")


def excerpt(text: str, lines: int = 6) -> str:
    kept = [x for x in text.splitlines() if x.strip()][:lines]
    return "\n".join(f"             │ {x}" for x in kept)


class Demo:
    def __init__(self, s: Scenario, base: int) -> None:
        self.s = s
        self.base = base  # enterprise n = base + key, expert k = base + i
        self.apps: dict[int, str] = {}  # sample key -> application id
        self.by_app: dict[str, Sample] = {}
        self.seen_wait = ""
        self.last_stage = ""

    @property
    def year(self) -> int:
        return self.s.year

    def n(self, sample: Sample) -> int:
        return self.base + sample.key

    def sample(self, key: int) -> Sample:
        return next(x for x in SAMPLES if x.key == key)

    # --- following the cycle --------------------------------------------------------------------
    def mark(self, stage: str, note: str = "") -> None:
        """A new stage of the cycle: print its banner once."""
        if stage != self.last_stage:
            self.last_stage = stage
            banner(stage, note)

    async def follow(
        self, *stages: str, timeout: float = 60, note: str = "", quiet: bool = False
    ) -> dict[str, Any]:
        """Poll the cycle (its stage and what it waits for, as the workflow says) until one of `stages`;
        `quiet` leaves out what it waits for on the way (it may lag behind what was just done)."""

        async def probe() -> dict[str, Any] | None:
            c = expect(await self.s.api.get(f"/cycles/{self.year}", headers=self.s.office), 200)
            self.mark(c["stage"], note if c["stage"] in stages else "")
            wait = c.get("waiting_for") or ""
            if quiet and c["stage"] not in stages:
                wait = ""
            if wait and wait != self.seen_wait:
                self.seen_wait = wait
                say(f"   workflow award-cycle-{self.year} ▸ {wait}")
            return c if c["stage"] in stages else None

        return await eventually(probe, timeout=timeout, every=0.5, what=f"cycle {self.year} in {stages}")

    async def inbox(self, h: dict[str, str], app_id: str, kind: str, timeout: float = 30) -> dict[str, Any]:
        async def probe() -> dict[str, Any] | None:
            notes = expect_list(await self.s.api.get("/notices", headers=h, params={"page_size": 200}))
            return next((x for x in notes if x["kind"] == kind and x["application_id"] == app_id), None)

        return await eventually(probe, timeout=timeout, every=0.5, what=f"{kind} notice for {app_id}")

    async def expert_tokens(self, panels: dict[str, list[dict[str, Any]]]) -> None:
        """Sign in as every seated expert. The pool holds every registered expert, so a panel may seat
        one registered by an earlier demo run (another year): their accounts follow the same convention."""
        missing = {m["expert_id"] for seats in panels.values() for m in seats} - set(self.s.expert_heads)
        if not missing:
            return
        known = {e["id"]: e for e in expect_list(await self.s.api.get("/experts", headers=self.s.office))}
        for expert_id in sorted(missing):
            username = known.get(expert_id, {}).get("username") or ""
            if not username.startswith("expert"):
                raise ScenarioError(
                    f"the draw seated expert {expert_id} ({username or 'no account'}), not a demo expert; "
                    "the demo signs in only as experts it (or an earlier demo run) registered"
                )
            self.s.expert_heads[expert_id] = await Scenario.login(self.s.api, username, password_of(username))

    def show_panels(self, draw: dict[str, Any]) -> None:
        if draw["unfilled"]:
            raise ScenarioError(f"draw {draw['draw_id']} left seats unfilled: {draw['unfilled']}")
        say(f"   draw {draw['draw_id']} (seed {draw['seed']}, inputs sha256 {draw['input_hash'][:12]}…)")
        for app_id, seats in sorted(draw["panels"].items()):
            names = ", ".join(m["name"] + ("（组长）" if m["leader"] else "") for m in seats)
            say(f"     {app_id} {self.by_app[app_id].label}: {names}")

    # --- the story ------------------------------------------------------------------------------
    async def prepare(self) -> None:
        s = self.s
        banner("SET-UP")
        today = datetime.now(UTC).date()
        for x in SAMPLES:
            facts = None
            if x.expired_qms:
                facts = [
                    {
                        "kind": "QMS_CERTIFICATE",
                        "on": str(today - timedelta(days=1100)),
                        "number": f"CQC-{self.n(x):05d}",
                        "body": "中国质量认证中心",
                        "valid_from": str(today - timedelta(days=1100)),
                        "valid_to": str(today - timedelta(days=5)),  # expired before the deadline
                    },
                    {"kind": "CREDIT_STATUS", "on": str(today - timedelta(days=20)), "status": "GOOD"},
                    {"kind": "INNOVATION_RESULT", "on": str(today - timedelta(days=200)), "summary": "获实用新型专利两项"},
                ]  # fmt: skip
            ent = await s.enterprise(self.n(x), x.name, facts=facts, field=x.sector, sector_tags=x.tags)
            say(
                f"office registered {x.label} ({ent['credit_code']}, {AWARD_ZH[x.award]}), "
                f"its facts and account ent{self.n(x)}{' — QMS certificate expired' if x.expired_qms else ''}"
            )
        conflicted = self.sample(1)
        for i in range(1, EXPERTS + 1):
            k = self.base + i
            fields = ["INDUSTRY", "SERVICES"] if i <= 6 else ["INDUSTRY"] if i <= 8 else ["SERVICES"]
            body: dict[str, Any] = {
                "name": f"专家{k:02d}",
                "qualifications": ["高级工程师", "卓越绩效评价师"],
                "fields": fields,
                "username": f"expert{k}",
            }
            if i == CONFLICTED_EXPERT:
                body |= {
                    "current_employer_credit_code": s.enterprises[self.n(conflicted)]["credit_code"],
                    "current_employer_name": conflicted.name,
                }
            e = expect(await s.api.post("/experts", headers=s.office, json=body), 201)
            # the office hands the invitation to the expert, who sets their own password
            await Scenario.accept(s.api, e.pop("invitation"), password_of(f"expert{k}"))
            s.experts[e["id"]] = e
            s.expert_heads[e["id"]] = await Scenario.login(s.api, f"expert{k}", password_of(f"expert{k}"))
            # before any assignment of the cycle, the expert signs its undertaking (承诺书, Art. 20)
            await Scenario.sign_undertaking(s.api, s.expert_heads[e["id"]], s.year)
        say(
            f"office registered {EXPERTS} experts 专家{self.base + 1}…专家{self.base + EXPERTS} "
            f"(专家{self.base + CONFLICTED_EXPERT} works for {conflicted.label}); "
            f"each signed the {s.year} expert undertaking (评审专家承诺书)"
        )

    async def open_call(self) -> None:
        s = self.s
        # The people of the cycle exist first (Scenario.open_cycle finds them), so that the short
        # application deadline is counted from the moment the call opens.
        for u, _ in COMMITTEE:
            await s.account(u, "committee", password_of(u), f"评委{u}")
        await s.account("gov", "government", password_of("gov"), "区政府")
        deadline = datetime.now(UTC) + timedelta(seconds=DEADLINE_IN)
        rules = {**DEMO_RULES, "application_deadline": deadline.isoformat()}
        cycle = await s.open_cycle(**rules)
        say(
            "committee accounts " + ", ".join(u for u, _ in COMMITTEE) + " on a roster approved by the "
            f"government (account gov); the chair approved the {self.year} rules; office started the cycle"
        )
        say(
            f"   workflow {cycle['workflow_id']} started; the call for applications is published (GET /public/notices)"
        )
        self.mark("CALL_OPEN", f"deadline {cst(deadline.isoformat())} (in {DEADLINE_IN} s)")
        for x in SAMPLES:
            app_id = await s.apply(self.n(x), x.award, self_pct=max(x.doc_pct, 60) + 5)
            self.apps[x.key] = app_id
            self.by_app[app_id] = x
            say(f"{x.label} uploaded its documents and applied for {AWARD_ZH[x.award]}: {app_id}")
        say(f"waiting for the deadline timer of the cycle workflow (≈{DEADLINE_IN} s)…")

    async def checked(self, app_id: str) -> dict[str, Any]:
        """The application waits for the office's decision and its automatic checks can be read.

        GET /applications/{id} reads the checks from the database before it asks the workflow for
        the live stage, so right after the checks ran it may answer stage QUALIFICATION_DECISION
        with `qualification: null` (Scenario.qualify would then fail): wait for both."""

        async def probe() -> dict[str, Any] | None:
            a = await self.s.app(app_id)
            return a if a["stage"] == "QUALIFICATION_DECISION" and a.get("qualification") else None

        return await eventually(probe, timeout=60, what=f"automatic checks of {app_id}")

    async def qualification(self) -> None:
        s = self.s
        await self.follow("QUALIFICATION_REVIEW", timeout=DEADLINE_IN + 60)
        for x in SAMPLES:
            app_id = self.apps[x.key]
            await self.checked(app_id)
            r = await s.qualify(app_id)
            if r["qualified"]:
                say(f"office: {app_id} {x.label} qualified (automatic checks + judgement on the rest)")
            else:
                failed = "; ".join(f"{c['condition']} ({c['clause']}): {c['reason']}" for c in r["failed"])
                say(f"office: {app_id} {x.label} NOT qualified — {failed}")
                n = await self.inbox(s.enterprise_heads[self.n(x)], app_id, "QUALIFICATION_FEEDBACK")
                say(f"   {x.label} received the feedback notice 《{n['title']}》:\n{excerpt(n['body'])}")

    async def document_review(self) -> None:
        s = self.s
        await self.follow("DOCUMENT_REVIEW")
        draw = await s.draw()
        say("office drew the document review panels (reproducible, conflict-free):")
        self.show_panels(draw)
        await self.expert_tokens(draw["panels"])
        verify = expect(await s.api.get(f"/draws/{draw['draw_id']}/verify", headers=s.office), 200)
        say(
            f"   re-running the draw from its recorded inputs and seed gives the same panels: {verify['matches']}"
        )
        conflicted = s.enterprises[self.n(self.sample(1))]["credit_code"]
        for c in expect_list(await s.api.get("/conflicts", headers=s.office)):
            if c["credit_code"] == conflicted:
                say(
                    f"   conflict of interest {c['type']} ({c['source']}): "
                    f"{s.experts.get(c['expert_id'], {}).get('name', c['expert_id'])} works for "
                    f"{self.sample(1).label}, so the draw kept them off {self.apps[1]}"
                )
        for app_id in sorted(draw["panels"]):
            x = self.by_app[app_id]
            total = await s.document_review(
                app_id,
                x.doc_pct,
                opinion="自我评价报告与证明材料支撑不足，结果指标缺少对比数据和趋势分析，过程管理尚未形成闭环。"
                if x.doc_pct * 10 < DEMO_RULES["onsite_threshold"]
                else "卓越绩效管理体系较完善，关键过程受控，结果指标处于同行业领先水平。",
            )
            say(f"3 experts scored {app_id} {x.label}; the leader's consolidated opinion: {total} points")

    async def onsite_selection(self) -> None:
        s = self.s
        await self.follow("ONSITE_SELECTION")
        sheet = expect(await s.api.get(f"/cycles/{self.year}/document-scores", headers=s.office), 200)
        listed = [a["application_id"] for a in sheet["applications"] if a["at_or_above_threshold"]]
        for a in sheet["applications"]:
            mark = "listed" if a["at_or_above_threshold"] else "below the threshold"
            say(f"   {a['application_id']} {self.by_app[a['application_id']].label}: {a['total']} — {mark}")
        note = f"资料评审得分低于现场评审参考分数线（{sheet['threshold']}分）的申报不列入现场评审名单"
        await s.onsite_list(listed, note)
        say(f"office fixed the on-site list (threshold {sheet['threshold']}): {', '.join(sorted(listed))}")
        for app_id, x in sorted(self.by_app.items()):
            if x.fate == "NOT_SHORTLISTED":
                n = await self.inbox(s.enterprise_heads[self.n(x)], app_id, "DOCUMENT_REVIEW_FEEDBACK")
                say(
                    f"   {x.label} received 《{n['title']}》 with the panel opinion:\n{excerpt(n['body'], 8)}"
                )
                report = await s.feedback(self.n(x))  # written with that letter (R14.4)
                say(
                    f"   …and its feedback report 《{report['title']}》, item by item "
                    f"(GET /applications/{app_id}/feedback; its full text at the end of the demo)"
                )

    async def onsite_review(self) -> None:
        s = self.s
        await self.follow("ONSITE_REVIEW")
        listed = sorted(a for a, x in self.by_app.items() if x.doc_pct * 10 >= DEMO_RULES["onsite_threshold"])
        visit = cst_date(datetime.now(UTC))
        draw = await s.draw({a: visit for a in listed})
        say(f"office drew the on-site panels, visits on {visit}:")
        self.show_panels(draw)
        await self.expert_tokens(draw["panels"])
        silent = [a for a in listed if self.by_app[a].silent]
        for app_id in silent:  # first, so that its confirmation timer runs while the others proceed
            x = self.by_app[app_id]
            await s.onsite_report(app_id, x.onsite_pct, comments=False)
            say(
                f"leader reported on {app_id} {x.label} ({x.onsite_pct * 10}.00); the enterprise stays silent: "
                f"reminder after {DEMO_RULES['onsite_confirmation_period'] - DEMO_RULES['onsite_reminder_before']} s, "
                f"deemed confirmed (视为无异议) after {DEMO_RULES['onsite_confirmation_period']} s — a Temporal timer"
            )
        for app_id in listed:
            x = self.by_app[app_id]
            if x.silent:
                continue
            total = await s.onsite_review(app_id, x.onsite_pct, dispute=x.dispute)
            how = (
                f"disputed it ({x.dispute}); the office settled: 维持现场评审结论"
                if x.dispute
                else "confirmed it"
            )
            say(f"leader reported on {app_id} {x.label} ({total}); the enterprise {how}")
        for app_id in silent:
            x = self.by_app[app_id]
            await s.wait_stage(
                app_id, "AWAITING_COMMITTEE", timeout=DEMO_RULES["onsite_confirmation_period"] + 60
            )
            await self.inbox(s.enterprise_heads[self.n(x)], app_id, "ONSITE_CONFIRMATION_REMINDER")
            reviews = expect_list(await s.api.get(f"/applications/{app_id}/reviews", headers=s.office))
            state = next(r["confirmation"] for r in reviews if r["purpose"] == "ONSITE")
            say(f"{app_id} {x.label}: reminder sent, then on-site report {state} by the timer")

    async def ballot(self) -> str:
        s = self.s
        await self.follow("AWAITING_COMMITTEE", timeout=120)
        meeting = await s.convene()
        mid = meeting["meeting_id"]
        say(
            f"office convened the plenary {mid}: {meeting['present']} of {meeting['roster']} members present, "
            f"{len(meeting['candidates'])} candidates; the work report is presented (GET /cycles/{self.year}/work-report)"
        )
        report = expect(
            await s.api.get(f"/cycles/{self.year}/work-report", headers=s.committee["chair"]), 200
        )
        text = report["text"]
        if "附：排名稳健性参考" in text:  # the non-binding robustness table (domain/robustness.py)
            table = text[text.index("附：排名稳健性参考") : text.index("请区评委会审查")].strip()
            say("   the work report's robustness table (information for the plenary, not a decision rule):")
            for line in table.splitlines():
                say(f"     {line}")
        self.mark("BALLOT")
        rejected = [a for a, x in self.by_app.items() if x.key == 4]
        for member, position in COMMITTEE:
            choices = {
                c: "REJECT" if c in rejected and position != "CHAIR" else "APPROVE"
                for c in meeting["candidates"]
            }
            expect(await s.vote(mid, member, choices), 200)
            say(f"   {member} ({position}) cast a secret ballot")
        say(f"   (votes are stored without voter; {', '.join(rejected)} got REJECT from 4 of 5 members)")
        c = await self.follow("RUNOFF", "PUBLIC_NOTICE", quiet=True)
        await self.tally(mid, "ballot closed when every member present had voted; published tally:")
        if c["stage"] == "RUNOFF":
            await self.runoff()
        await self.follow(
            "PUBLIC_NOTICE",
            note=f"{DEMO_RULES['public_notice_period']} s instead of 7 days (demo rules)",
            quiet=True,
        )
        return str(mid)

    async def tally(self, mid: str, title: str) -> None:
        s = self.s
        m = expect(await s.api.get(f"/meetings/{mid}", headers=s.office), 200)
        say(title)
        for t in m["tally"]:
            verdict = "passed" if t["passed"] else "NOT passed"
            x = self.by_app[t["candidate_id"]]
            say(
                f"     {t['candidate_id']} {x.label}: {t['approve']} approve / {t['reject']} reject — {verdict}"
            )
        recount = expect(await s.api.get(f"/meetings/{mid}/recount", headers=s.office), 200)
        say(f"   recount of the stored votes equals the published tally: {recount['equal']}")

    async def runoff(self) -> None:
        """决选投票 (R14.6): E7 and E8 tie exactly (votes, final and document scores) across the
        cut-off of the innovation award's quota; the notice waits for a run-off among them."""
        s = self.s
        tied = sorted(a for a, x in self.by_app.items() if x.key in (7, 8))
        labels = " and ".join(f"{a} {self.by_app[a].label}" for a in tied)
        say(
            f"{labels} tie exactly (approve votes, final and document scores) across the cut-off of "
            f"{AWARD_ZH['INNOVATION']} (quota {DEMO_RULES['quota_innovation']}): neither is listed yet, "
            "the public notice waits for a run-off ballot among them"
        )
        r = await s.api.post(
            f"/cycles/{self.year}/runoff", headers=s.office, json={"attendees": ["chair", "vice1"]}
        )
        body = r.json()
        say(
            f"office tried to convene the run-off with 2 of 5 members present: {r.status_code} "
            f"{body.get('code')} — {body.get('message_zh')}"
        )
        attendees = [u for u, _ in COMMITTEE]
        meeting = expect(
            await s.api.post(f"/cycles/{self.year}/runoff", headers=s.office, json={"attendees": attendees}),
            200,
        )
        mid = meeting["meeting_id"]
        say(
            f"office convened the run-off {mid}: {meeting['present']} of {meeting['roster']} members present, "
            f"candidates {', '.join(meeting['candidates'])}, {meeting['seats']} seat of {AWARD_ZH[meeting['award']]}; "
            "a new ballot key, sealed ballots, the same quorum and pass mark"
        )
        e7, e8 = (next(a for a in tied if self.by_app[a].key == k) for k in (7, 8))
        for member, position in COMMITTEE:
            choices = {
                e8: "APPROVE" if member != "member2" else "REJECT",
                e7: "APPROVE" if member in ("chair", "member2") else "REJECT",
            }
            expect(await s.vote(mid, member, choices), 200)
            say(f"   {member} ({position}) cast a secret run-off ballot")

        async def closed() -> bool:
            return expect(await s.api.get(f"/meetings/{mid}", headers=s.office), 200)["state"] == "CLOSED"

        await eventually(closed, what=f"run-off {mid} closed")
        await self.tally(mid, f"run-off {mid} closed when every member present had voted; published tally:")
        say(
            f"   {e8} {self.by_app[e8].label} passes with the most votes and takes the seat; the list is complete"
        )

    async def public_notice(self) -> None:
        s = self.s
        pre = expect(await s.api.get(f"/public/preliminary/{self.year}"), 200)
        for w in pre["list"]:
            how = f", by run-off {w['runoff']}" if w.get("runoff") else ""
            say(
                f"   on the preliminary list: {w['application_id']} {w['enterprise_name']} ({AWARD_ZH[w['award']]}{how})"
            )
        say(f"   objections accepted until {cst(pre['closes_at'])} (GET /public/preliminary/{self.year})")
        target = next(a for a, x in self.by_app.items() if x.key == 5)
        named = expect(
            await s.api.post(
                f"/public/objections/{self.year}",
                json={
                    "application_id": target,
                    "facts": "该企业申报材料所附的两项发明专利在申报前已被宣告无效，不应作为创新成果。",
                    "evidence": "国家知识产权局无效宣告请求审查决定书",
                    "name": "林先生",
                    "contact": "13800000000",
                },
            ),
            201,
        )
        say(
            f"a citizen filed a named objection {named['objection_id']} against {target} → investigated: {named['investigated']}"
        )
        other = next(a for a, x in self.by_app.items() if x.key == 6)
        anon = expect(
            await s.api.post(
                f"/public/objections/{self.year}",
                json={"application_id": other, "facts": "听说该企业产品质量一般。", "anonymous": True},
            ),
            201,
        )
        say(
            f"an anonymous objection {anon['objection_id']} against {other} → investigated too: {anon['investigated']}"
        )
        investigator = await s.account(
            "investigator1", "office", password_of("investigator1"), "区评审办调查员"
        )
        await s.assign_investigator(anon["objection_id"], "investigator1")
        r = await s.report_objection(
            anon["objection_id"],
            investigator,
            "UNSUBSTANTIATED",
            "经抽查该企业近三年产品检验报告，未发现质量问题，异议不成立。",
        )
        say(f"investigator1 reported on the anonymous objection: {r['conclusion']}")
        r = await s.assign_investigator(named["objection_id"], "investigator1")
        say(
            f"office assigned investigator1 (an office account) to {named['objection_id']}, report due {cst(r['due_at'])}"
        )
        r = await s.report_objection(
            named["objection_id"],
            investigator,
            "SUBSTANTIATED",
            "经向国家知识产权局核实，所涉两项专利已于申报前被宣告全部无效，异议属实。",
        )
        say(f"investigator1 reported: {r['conclusion']}; the report goes to the committee")
        seen = await s.api.get("/objections", params={"year": self.year}, headers=s.committee["member1"])
        say(
            f"a committee member reads the {len(expect_list(seen))} objections and their reports (without who objected)"
        )
        r = await s.decide_objection(
            named["objection_id"], "KEEP", "所涉专利仅为创新成果之一，其余成果足以支撑评审结论，维持列入。"
        )
        say(f"the committee chair decided on the finding (审查): {r['decision']} — {r['decision_zh']}")
        say(f"waiting for the notice period to end (timer of {DEMO_RULES['public_notice_period']} s)…")

    async def approval(self) -> dict[str, Any]:
        s = self.s
        await self.follow("FINAL_LIST", timeout=DEMO_RULES["public_notice_period"] + 90)
        final = await s.fix_final_list(note="公示期满，根据异议调查结论确定拟授奖名单")
        say("the committee chair fixed the list proposed to the government:")
        for w in final["winners"]:
            say(
                f"     {w['application_id']} {w['enterprise_name']} ({AWARD_ZH[w['award']]}, {w['final_score']})"
            )
        for app_id, why in final["removed"].items():
            say(f"     removed {app_id} {self.by_app[app_id].label}: {why}")
        for app_id, why in final["kept"].items():
            say(f"     kept {app_id} {self.by_app[app_id].label}: {why}")
        say(f"   (version {final['version']} of the list)")
        await self.follow("GOVERNMENT_APPROVAL")
        reason = "所涉两项发明专利已被宣告无效，属申报材料失实，请评委会重新审定。"
        r = await s.decide_approval(approved=False, reason=reason, version=final["version"])
        say(f"the district government decided on version {final['version']}: {r['decision']} — {reason}")
        await self.follow("FINAL_LIST")
        target = next(a for a, x in self.by_app.items() if x.key == 5)
        final = await s.fix_final_list(
            note="根据区政府退回意见重新审定", remove={target: "申报材料所附专利已被宣告无效，申报材料失实"}
        )
        say(
            f"the committee revised the list: version {final['version']} answers the return of version {final['answers_version']}"
        )
        for app_id, why in final["removed"].items():
            say(f"     removed {app_id} {self.by_app[app_id].label}: {why}")
        await self.follow("GOVERNMENT_APPROVAL")
        doc_no = f"鹿政发〔{self.year}〕8号"
        r = await s.decide_approval(approved=True, document_no=doc_no, version=final["version"])
        say(f"the district government decided on version {final['version']}: {r['decision']} ({doc_no})")
        say(f"   every version: GET /cycles/{self.year}/final-list/versions")
        await self.follow("COMPLETED", timeout=60)
        results = expect(await s.api.get(f"/public/results/{self.year}"), 200)
        say(
            f"results published (GET /public/results/{self.year}), approval {results['approval_document_no']}:"
        )
        for w in results["winners"]:
            say(
                f"     certificate {w['certificate_number']}: {w['enterprise_name']} — {AWARD_ZH[w['award']]}"
            )
        return results

    async def outcomes(self) -> None:
        s = self.s
        print(flush=True)
        say("every application's outcome (GET /applications?year=…):")
        wrong: list[str] = []
        for x in SAMPLES:
            app_id = self.apps[x.key]
            a = await s.wait_stage(app_id, "NOT_QUALIFIED", "NOT_SHORTLISTED", "AWARDED", "NOT_AWARDED")
            ok = a["outcome"] == x.fate
            wrong += [] if ok else [f"{app_id}: {a['outcome']}, expected {x.fate}"]
            say(f"   {app_id} {x.label:<22} {a['outcome']:<16} {x.story}")
        if wrong:
            raise ScenarioError("unexpected outcomes: " + "; ".join(wrong))
        await self.feedback_reports()

    async def feedback_reports(self) -> None:
        """Every applicant that reached document review has its feedback report (R14.4); one is shown
        in full, as its enterprise reads it: per item the panel's band, strengths and opportunities."""
        s = self.s
        print(flush=True)
        reached = [x for x in SAMPLES if x.fate != "NOT_QUALIFIED"]
        for x in reached:
            report = await s.feedback(self.n(x))
            say(
                f"   {self.apps[x.key]} {x.label:<22} 《{report['title']}》 ({report['outcome']}) sha256 {report['sha256'][:12]}…"
            )
        shown = self.sample(4)  # not awarded: the report that makes applying worthwhile
        report = await s.feedback(self.n(shown))
        say(
            f"the feedback report of {shown.label}, as its enterprise reads it "
            f"(GET /applications/{self.apps[shown.key]}/feedback; …/feedback/letter downloads it):"
        )
        print("\n".join(f"             │ {line}" for line in report["text"].splitlines()), flush=True)

    def where_to_look(self, results: dict[str, Any], meeting_id: str) -> None:
        def ui(query: str) -> str:
            return f"{TEMPORAL_UI}/namespaces/{NAMESPACE}/workflows?query={urllib.parse.quote(query)}"

        cert = results["winners"][0]["certificate_number"] if results["winners"] else ""
        y = self.year
        print(
            f"""
Where to look
  Temporal UI (every workflow of the demo year: cycle, applications, objection, awards)
    {ui(f"AwardYear={y}")}
    the cycle:        {ui(f"WorkflowId='award-cycle-{y}'")}
    the winners:      {ui(f"AwardYear={y} AND AwardStage='AWARDED'")}
  API docs (sign in with Authorize: {OFFICE_USER} / {OFFICE_PASSWORD})
    {API_URL}/docs
  Read the outcome
    {API_URL}/public/results/{y}                 public, no sign-in
    {API_URL}/public/preliminary/{y}             the preliminary list and the final list
    {API_URL}/public/notices                     call, roster, preliminary list, announcement
    {API_URL}/cycles/{y}                         (office) stage and rules of the cycle
    {API_URL}/applications?year={y}              (office) every application with stage and outcome
    {API_URL}/meetings/{meeting_id}              (office/committee) attendance and tally
    {API_URL}/meetings/{y}-runoff-1                (office/committee) the run-off's attendance and tally
    {API_URL}/objections?year={y}                (office/committee) objections, reports, decisions
    {API_URL}/cycles/{y}/final-list/versions     (committee/government/office) every version of the list
    {API_URL}/certificates/{urllib.parse.quote(cert)}   (office) a certificate and its plaque text
    {API_URL}/applications/{self.apps[4]}/feedback        (enterprise/office) a feedback report, item by item
    {API_URL}/audit                              (office) who did what, when and why""",
            flush=True,
        )


async def pick_year(api: httpx.AsyncClient, office: dict[str, str]) -> int:
    this_year = cst_date(datetime.now(UTC)).year
    for year in (this_year + 1, this_year):
        r = await api.get(f"/cycles/{year}", headers=office)
        if r.status_code == 404:
            return year
        expect(r, 200)
        say(f"a {year} cycle exists already (GET /cycles/{year})")
    raise DemoError(
        f"cycles for {this_year + 1} and {this_year} exist already: one cycle per year. Stop `make run` "
        "(Ctrl-C), run `make clean-data` to wipe the development data, start `make run` again, then `make demo`."
    )


async def pick_base(api: httpx.AsyncClient, office: dict[str, str], year: int) -> int:
    """Numbers for the year's enterprises and experts, clear of an earlier (possibly aborted) run."""
    usernames = {e["username"] for e in expect_list(await api.get("/experts", headers=office))}
    for block in range(5):
        base = (year % 100) * 100 + 20 * block
        taken = await api.get(f"/enterprises/{credit_code(base + 1)}", headers=office)
        if taken.status_code == 404 and f"expert{base + 1}" not in usernames:
            return base
    raise DemoError(
        f"sample numbers for {year} are used up by earlier runs; run `make clean-data` (with make run stopped)"
    )


async def main() -> int:
    say(f"Lucheng Quality Award demo — driving a whole cycle through {API_URL}")
    async with httpx.AsyncClient(base_url=API_URL, timeout=HTTP_TIMEOUT) as api:
        try:
            health = (await api.get("/health")).json()
        except httpx.TransportError as e:
            raise DemoError(
                f"the API at {API_URL} is not reachable ({type(e).__name__}): start it with `make run` first"
            ) from None
        if health.get("status") != "ok":
            raise DemoError(
                f"the API at {API_URL} is not healthy: {health}; check `make run` and its logs in .data/logs"
            )
        r = await api.post("/auth/token", data={"username": OFFICE_USER, "password": OFFICE_PASSWORD})
        if r.status_code != 200:
            raise DemoError(
                f"cannot sign in as {OFFICE_USER} ({r.status_code}); set AWARD_BOOTSTRAP_OFFICE_USERNAME / _PASSWORD"
            )
        office = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = await api.post("/auth/token", data={"username": ADMIN_USER, "password": ADMIN_PASSWORD})
        if r.status_code != 200:
            raise DemoError(
                f"cannot sign in as the administrator {ADMIN_USER} ({r.status_code}); `make run` creates it "
                "(set AWARD_DEV_ADMIN_USERNAME / _PASSWORD to the ones you created with python -m api.cli)"
            )
        admin = {"Authorization": f"Bearer {r.json()['access_token']}"}
        year = await pick_year(api, office)
        base = await pick_base(api, office, year)
        say(
            f"demo year {year}; sample enterprises ent{base + 1}…ent{base + len(SAMPLES)}, experts expert{base + 1}…"
        )
        demo = Demo(Scenario(api, office, year, admin=admin), base)
        await demo.prepare()
        await demo.open_call()
        await demo.qualification()
        await demo.document_review()
        await demo.onsite_selection()
        await demo.onsite_review()
        meeting_id = await demo.ballot()
        await demo.public_notice()
        results = await demo.approval()
        await demo.outcomes()
        demo.where_to_look(results, meeting_id)
    print(flush=True)
    say(f"demo cycle {year} completed in {time.monotonic() - _t0:.0f} s")
    return 0


def run() -> int:
    try:
        return asyncio.run(main())
    except DemoError as e:
        print(f"\nmake demo: {e}", file=sys.stderr, flush=True)
        return 2
    except ScenarioError as e:
        print(f"\nmake demo failed: {e}", file=sys.stderr, flush=True)
        return 1
    except httpx.HTTPError as e:
        print(f"\nmake demo failed: the API stopped answering ({type(e).__name__}: {e}); is `make run` still up?",
              file=sys.stderr, flush=True)  # fmt: skip
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr, flush=True)
        return 130


if __name__ == "__main__":
    sys.exit(run())
