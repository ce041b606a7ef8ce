"""Activities of the committee stage: the plenary and its secret ballot, the public notice and
objections, the final list, the government's approval and the certificates."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError

from activities.fanout import Wakeups
from activities.notices import write_notices
from activities.registry import defined_activities
from config.temporal import refusal
from contracts.common import NoticeInput
from contracts.cycle import (
    BallotStatus,
    CertificateIssued,
    CloseBallotRequest,
    CloseRunoffRequest,
    FinalList,
    FixFinalListRequest,
    IssueCertificatesRequest,
    ListEntry,
    MeetingOpened,
    NoticeWindow,
    OpenMeetingRequest,
    OpenSeats,
    Preliminary,
    PublishPreliminaryRequest,
    PublishSupplementaryRequest,
    RecordApprovalInput,
    SupplementaryNotice,
    VacateSeatsRequest,
)
from contracts.objection import RecordInvestigationInput
from db import ballot_box
from db import committee_queries as cq
from db import models as m
from db import repositories as repo
from db.ballot_box import BallotKeyring, MeetingKey
from db.jsonable import jsonable
from domain import notices as texts
from domain.ballot import Tally, Vote, check_quorum, decode_ballot
from domain.calendar import due_after
from domain.certificates import certificate_number, certificate_text, plaque_text
from domain.errors import DomainError, conflict, invalid
from domain.final_list import compose
from domain.review import ReviewPurpose
from domain.robustness import AwardRobustness, CandidateScores, ranking_robustness
from domain.rubric import Rubric, load_rubric, score_sheet
from domain.rules import LEGAL_MAX_WINNERS, CycleRules
from domain.runoff import (
    check_vacancy_reason,
    reason_not_passed,
    reason_over,
    reason_tied_again,
    reason_vacated,
    runoff_result,
)
from domain.selection import Candidate, SelectionRules, final_score, preliminary_list, unmet_category_minimums
from domain.supplementary import check_proposal
from domain.types import Award, NoticeKind
from domain.work_report import AwardCriteriaShown, CycleFigures, ReportRow, compose_work_report

refuse = refusal  # a rule refused the step: fail the activity for good, carrying the error


def _by_award(entries: list[ListEntry]) -> list[ListEntry]:
    """The list grouped by award (QUALITY first), each award's entries in the order given."""
    return [w for award in (Award.QUALITY, Award.INNOVATION) for w in entries if w.award is award]


def award_workflow_id(year: int, application_id: str) -> str:
    return f"award-{application_id}"


class CommitteeActivities:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], client: Client, keyring: BallotKeyring
    ) -> None:
        self.sessions = sessions
        self.wakeups = Wakeups(sessions, client)
        self.keyring = keyring  # the secret ballot's key-encryption key (db/ballot_box.py)

    # --- the plenary ------------------------------------------------------------------------------
    @activity.defn
    async def open_meeting(self, req: OpenMeetingRequest) -> MeetingOpened:
        """Check attendance against the roster and the quorum, present the work report, issue ballots."""
        runoff = req.runoff
        async with self.sessions.begin() as s:
            existing = await cq.meeting(s, req.meeting_id)
            if existing is None:
                # a run-off votes only among the candidates tied for the open seats (R14.6)
                candidates = (
                    list(runoff.application_ids) if runoff else await cq.awaiting_committee(s, req.year)
                )
                members = await cq.roster_ids(s, req.year)
                approved = await cq.roster(s, req.year)
                try:
                    if approved is None or approved.state != "APPROVED":
                        raise invalid(
                            "ROSTER_NOT_APPROVED",
                            "评委会名单尚未经区政府批准",
                            "The committee roster is not approved",
                        )
                    strangers = sorted(set(req.attendees) - set(members))
                    if strangers:
                        raise invalid(
                            "NOT_COMMITTEE_MEMBERS",
                            "以下人员不是本年度评委会成员：" + "、".join(strangers),
                            "Not members of this year's committee: " + ", ".join(strangers),
                        )
                    check_quorum(
                        len(set(req.attendees)),
                        len(members),
                        Fraction(req.rules.quorum_numerator, req.rules.quorum_denominator),
                    )
                except DomainError as e:
                    raise refuse(e) from None
                if runoff is None:  # the work report is presented once, to the plenary
                    await self._work_report(s, req, candidates)
                s.add(
                    m.Meeting(
                        id=req.meeting_id,
                        cycle_year=req.year,
                        candidates=candidates,
                        roster_size=len(members),
                        present=len(set(req.attendees)),
                        state="VOTING",
                        opened_by=req.actor.username,
                        opened_at=req.at,
                        kind="RUNOFF" if runoff else "PLENARY",
                        award=str(runoff.award) if runoff else None,
                        seats=runoff.seats if runoff else None,
                    )
                )
                await s.flush()
                # the meeting's ballot key pair: ballots are sealed to the public key; the private key
                # is stored only wrapped under the worker's ballot secret (R14.6)
                key = self.keyring.new_meeting_key(req.meeting_id)
                await cq.open_ballot(s, req.meeting_id, key, [members[u] for u in sorted(set(req.attendees))])
                await repo.audit_by(
                    s,
                    req.actor,
                    "RUNOFF_CONVENED" if runoff else "PLENARY_CONVENED",
                    "meeting",
                    req.meeting_id,
                    at=req.at,
                    details={
                        "attendees": sorted(set(req.attendees)),
                        "roster": len(members),
                        "candidates": candidates,
                        **(
                            {"award": str(runoff.award), "seats": runoff.seats, "tie_of": runoff.source}
                            if runoff
                            else {}
                        ),
                    },
                    key=f"meeting-opened-{req.meeting_id}",
                )
                existing = await cq.meeting(s, req.meeting_id)
                assert existing is not None
            if existing.kind == "RUNOFF":
                return MeetingOpened(
                    existing.id,
                    list(existing.candidates),
                    existing.present,
                    existing.roster_size,
                    Award(str(existing.award)),
                    existing.seats or 0,
                )
            return MeetingOpened(
                existing.id, list(existing.candidates), existing.present, existing.roster_size
            )

    async def _work_report(self, s: AsyncSession, req: OpenMeetingRequest, candidates: list[str]) -> None:
        if await cq.work_report(s, req.year) is not None:
            return
        apps = await cq.applications_of(s, req.year)
        opinions = {(o.application_id, o.purpose): o for o in await cq.panel_opinions_of(s, req.year)}
        names = await cq.enterprise_names(s)
        rubric = load_rubric(req.rules.criteria_edition)
        category_names = {c.code: c.name_zh for c in rubric.categories}
        rows = []
        for a in sorted(apps, key=lambda a: a.id):
            if a.id not in candidates:
                continue
            doc, ons = (
                opinions.get((a.id, ReviewPurpose.DOCUMENT)),
                opinions.get((a.id, ReviewPurpose.ONSITE)),
            )
            rows.append(
                ReportRow(
                    a.id,
                    names[a.enterprise_id],
                    Award(a.award),
                    doc.total if doc else "",
                    doc.opinion if doc else "",
                    ons.total if ons else "",
                    ons.opinion if ons else "",
                    ons.confirmation if ons else "",
                    dict(ons.category_points) if ons else {},
                    ons.settlement if ons else "",
                    self._unmet(req.rules, Award(a.award), ons, rubric),
                )
            )
        seated, replaced = await cq.panel_seats(s, req.year)
        figures = CycleFigures(
            req.year,
            len(apps),
            sum(a.outcome not in ("NOT_QUALIFIED", "PENDING") for a in apps),
            sum((a.id, ReviewPurpose.DOCUMENT) in opinions for a in apps),
            len(candidates),
            seated,
            replaced,
        )
        criteria = [
            AwardCriteriaShown(
                award,
                req.rules.min_total(award),
                dict(req.rules.criteria(award).min_category_points),
                category_names,
            )
            for award in (Award.QUALITY, Award.INNOVATION)
        ]
        content, text = compose_work_report(
            figures,
            rows,
            req.at,
            criteria=criteria,
            robustness=await self._robustness(s, req, apps, candidates, names),
        )
        s.add(
            m.WorkReport(
                cycle_year=req.year,
                content=content,
                text=text,
                presented_by=req.actor.username,
                presented_at=req.at,
            )
        )
        await repo.audit_by(
            s,
            req.actor,
            "WORK_REPORT_PRESENTED",
            "cycle",
            str(req.year),
            at=req.at,
            key=f"work-report-{req.year}",
        )

    @staticmethod
    def _unmet(rules: CycleRules, award: Award, onsite: m.PanelOpinion | None, rubric: Rubric) -> list[str]:
        """The award's category minimums (Art. 2) the candidate's final scores fall short of."""
        criteria = rules.award_criteria.get(award)
        if criteria is None or not criteria.min_category_points:
            return []
        points = score_sheet(rubric, onsite.scores).categories if onsite else {}
        names = {c.code: c.name_zh for c in rubric.categories}
        return [
            f"{code} {names.get(code, '')} {got}分 < {minimum}分"
            for code, minimum, got in unmet_category_minimums(criteria, points)
        ]

    @staticmethod
    async def _robustness(
        s: AsyncSession,
        req: OpenMeetingRequest,
        apps: Sequence[m.Application],
        candidates: list[str],
        names: dict[int, str],
    ) -> tuple[AwardRobustness, ...]:
        """The non-binding robustness table (domain/robustness.py): per award, the candidates ranked
        under the official panel score and under other aggregations of the document review's
        individual totals — those of the experts who still hold their seat (a replaced or
        disqualified expert's score is not counted)."""
        rows = await cq.document_totals(s, req.year)
        by_expert: dict[int, dict[str, Decimal]] = {}
        for app_id, expert_id, total in rows:
            by_expert.setdefault(int(expert_id), {})[app_id] = Decimal(total)
        listed = set(candidates)
        scored = [
            CandidateScores(
                a.id,
                Award(a.award),
                names[a.enterprise_id],
                Decimal(a.document_score or "0"),
                {e: t[a.id] for e, t in sorted(by_expert.items()) if a.id in t},
            )
            for a in sorted(apps, key=lambda a: a.id)
            if a.id in listed
        ]
        seats = {award: min(req.rules.quota(award), LEGAL_MAX_WINNERS) for award in Award}
        return ranking_robustness(scored, seats, by_expert)

    @activity.defn
    async def ballot_status(self, meeting_id: str) -> BallotStatus:
        async with self.sessions() as s:
            rows = await cq.turnout(s, meeting_id)
            return BallotStatus(len(rows), sum(r.voted for r in rows))

    @activity.defn
    async def close_ballot(self, req: CloseBallotRequest) -> Preliminary:
        """Open the sealed ballots, count them, publish the tally, keep the marks for the recount in
        an order that means nothing, destroy the meeting's key, and derive the preliminary list
        (R3.3, R14.6). A tie across an award's cut-off leaves its seats open for a run-off."""
        async with self.sessions.begin() as s:
            meeting, counted = await self._count(s, req.meeting_id, req.rules, req.at, "BALLOT_TALLIED")
            by_id = {t.candidate_id: t for t in counted}
            rows = await cq.applications_named(s, meeting.candidates)
            points = await self._final_category_points(s, list(meeting.candidates), req.rules)
            candidates = [
                Candidate(
                    a.id,
                    Award(a.award),
                    name,
                    final_score(Decimal(a.onsite_score or "0")),
                    Decimal(a.document_score or "0"),
                    by_id[a.id].approve,
                    by_id[a.id].passed,
                    points.get(a.id, {}),
                )
                for a, name in rows
            ]
            # quota, minimum score and each award's own criteria (Art. 2) of the approved rules
            selection = preliminary_list(candidates, SelectionRules.from_cycle(req.rules))
            winners = [
                ListEntry(c.application_id, c.award, c.enterprise_name, str(c.final_score), c.approve)
                for award in (Award.QUALITY, Award.INNOVATION)
                for c in selection.winners.get(award, ())
            ]
            result = Preliminary(
                winners=winners,
                excluded={x.application_id: x.reason_zh for x in selection.excluded},
                ties=[a for t in selection.ties for a in t.application_ids],
                tally=[asdict(t) for t in counted],
                open_seats=[
                    OpenSeats(t.award, list(t.application_ids), t.seats, req.meeting_id)
                    for t in selection.ties
                ],
            )
        await self._vacuum_ballot_tables()
        return result

    async def _count(
        self, s: AsyncSession, meeting_id: str, rules: CycleRules, at: datetime, action: str
    ) -> tuple[m.Meeting, list[Tally]]:
        """Close a meeting's ballot and count it (once: a retry gets the tally that was published)."""
        await ballot_box.lock_for_close(s, meeting_id)  # a ballot being cast goes in first
        meeting = await cq.meeting(s, meeting_id, for_update=True)
        if meeting is None:
            raise ApplicationError(f"meeting {meeting_id} not found", non_retryable=True)
        count = await cq.ballot_count(s, meeting, rules)
        opened: dict[str, int] = {}
        if meeting.state == "CLOSED":  # a retry returns the tally that was published, not a new count
            counted = [Tally(**t) for t in meeting.tally]
        else:
            try:
                votes, opened = await self._open_box(s, meeting, voted=count.voted)
                counted = count.of(votes)
            except DomainError as e:
                raise refuse(e) from None
            # the marks, for the recount: contents, ids and order are a function of the tally
            await ballot_box.keep_marks(s, meeting_id, votes)
        if meeting.state != "CLOSED":
            meeting.state, meeting.closed_at = "CLOSED", at
            meeting.tally = [asdict(t) for t in counted]
            await repo.audit_by(
                s,
                repo.SYSTEM,
                action,
                "meeting",
                meeting_id,
                at=at,
                details={"tally": meeting.tally, **opened},
                key=f"ballot-closed-{meeting_id}",
            )
        return meeting, counted

    # --- the run-off (决选投票) of candidates tied across a cut-off ---------------------------------
    @activity.defn
    async def close_runoff(self, req: CloseRunoffRequest) -> Preliminary:
        """Count the run-off like the plenary (same box, same secrecy, its own published tally and
        recount) and complete the preliminary list with its outcome (domain/runoff.py): the
        candidates selected fill the open seats; a tie again leaves fewer seats open for another
        run-off (R14.6)."""
        group = req.seats
        async with self.sessions.begin() as s:
            meeting, counted = await self._count(s, req.meeting_id, req.rules, req.at, "RUNOFF_TALLIED")
            try:
                outcome = runoff_result(counted, seats=group.seats)
            except DomainError as e:
                raise refuse(e) from None
            apps = {a.id: (a, name) for a, name in await cq.applications_named(s, outcome.selected)}
            plenary = {str(t["candidate_id"]): int(t["approve"]) for t in req.preliminary.tally}
            selected = [
                ListEntry(
                    c,
                    group.award,
                    apps[c][1],
                    str(final_score(Decimal(apps[c][0].onsite_score or "0"))),
                    plenary.get(c, 0),
                    runoff=meeting.id,
                )
                for c in outcome.selected
            ]
            pre = req.preliminary
            excluded = {k: v for k, v in pre.excluded.items() if k not in outcome.selected}
            for c in outcome.not_passed:
                excluded[c] = reason_not_passed(group.award, meeting.id, outcome.approvals[c])
            for c in outcome.over:
                excluded[c] = reason_over(
                    group.award, meeting.id, outcome.approvals[c], outcome.rank(c), group.seats
                )
            for c in outcome.tied:
                excluded[c] = reason_tied_again(
                    group.award, meeting.id, outcome.approvals[c], len(outcome.tied) - 1, outcome.seats_left
                )
            again = (
                [OpenSeats(group.award, list(outcome.tied), outcome.seats_left, meeting.id)]
                if outcome.tied
                else []
            )
            open_seats = [
                x
                for g in pre.open_seats
                for x in (again if (g.award, g.source) == (group.award, group.source) else [g])
            ]
            vacated = dict(pre.vacated)
            if outcome.vacant:
                vacated[str(group.award)] = vacated.get(str(group.award), 0) + outcome.vacant
            result = Preliminary(
                winners=_by_award([*pre.winners, *selected]),
                excluded=excluded,
                ties=[a for g in open_seats for a in g.application_ids],
                tally=pre.tally,
                open_seats=open_seats,
                runoffs=[*pre.runoffs, meeting.id] if meeting.id not in pre.runoffs else pre.runoffs,
                vacated=vacated,
            )
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "RUNOFF_DECIDED",
                "meeting",
                meeting.id,
                at=req.at,
                details={
                    "award": str(group.award),
                    "seats": group.seats,
                    "selected": list(outcome.selected),
                    "tied_again": list(outcome.tied),
                    "seats_left": outcome.seats_left,
                    "not_passed": list(outcome.not_passed),
                    "over": list(outcome.over),
                    "vacant": outcome.vacant,
                },
                key=f"runoff-decided-{meeting.id}",
            )
        await self._vacuum_ballot_tables()
        return result

    @activity.defn
    async def vacate_seats(self, req: VacateSeatsRequest) -> Preliminary:
        """The committee leaves an award's open seats vacant instead of another run-off (宁缺毋滥,
        Art. 3): recorded with its reasons; the tied candidates are not listed."""
        group, pre = req.seats, req.preliminary
        try:
            reason = check_vacancy_reason(req.reason)
        except DomainError as e:
            raise refuse(e) from None
        async with self.sessions.begin() as s:
            await cq.leave_vacant(s, req.year, group, reason=reason, by=req.actor.username, at=req.at)
            await repo.audit_by(
                s,
                req.actor,
                "SEATS_LEFT_VACANT",
                "cycle",
                str(req.year),
                at=req.at,
                reason=reason,
                details={
                    "award": str(group.award),
                    "seats": group.seats,
                    "candidates": list(group.application_ids),
                    "tie_of": group.source,
                },
                key=f"seats-vacated-{req.year}-{group.award}-{group.source}",
            )
        excluded = dict(pre.excluded)
        for c in group.application_ids:
            excluded[c] = reason_vacated(group.award, group.seats, reason)
        open_seats = [g for g in pre.open_seats if (g.award, g.source) != (group.award, group.source)]
        vacated = dict(pre.vacated)
        vacated[str(group.award)] = vacated.get(str(group.award), 0) + group.seats
        return Preliminary(
            winners=pre.winners,
            excluded=excluded,
            ties=[a for g in open_seats for a in g.application_ids],
            tally=pre.tally,
            open_seats=open_seats,
            runoffs=pre.runoffs,
            vacated=vacated,
        )

    @staticmethod
    async def _final_category_points(
        s: AsyncSession, candidates: list[str], rules: CycleRules
    ) -> dict[str, dict[str, Decimal]]:
        """Per candidate, the points of each rubric category in its final (on-site) scores, as
        confirmed or settled (a settlement may revise the item scores): what the award's criteria
        are checked against. Only needed when some award sets category minimums."""
        if not any(c.min_category_points for c in rules.award_criteria.values()):
            return {}
        rubric = load_rubric(rules.criteria_edition)
        opinions = await cq.onsite_opinions(s, candidates)
        return {o.application_id: score_sheet(rubric, o.scores).categories for o in opinions}

    async def _open_box(
        self, s: AsyncSession, meeting: m.Meeting, *, voted: int
    ) -> tuple[list[Vote], dict[str, int]]:
        """Every ballot of the meeting, opened with its private key, which is then destroyed; the
        box is left empty. Also the figures of the count: ballots opened, members who voted and, if
        a cast failed between its two transactions, ballots that never reached the box."""
        key_row = await cq.ballot_key(s, meeting.id)
        sealed = await ballot_box.empty_box(s, meeting.id)
        votes = await cq.ballot_marks(s, meeting.id)  # marks of a ballot opened before sealed ballots existed
        if sealed:
            if key_row is None or key_row.wrapped_private_key is None:
                raise conflict(
                    "BALLOT_KEY_MISSING",
                    "投票箱中有选票，但本次会议的投票密钥不存在，计票中止",
                    "The box holds ballots but the meeting's ballot key is missing; the count stops",
                )
            private = self.keyring.unwrap(
                meeting.id, MeetingKey(key_row.public_key, key_row.wrapped_private_key, key_row.key_id)
            )
            for paper in sealed:
                votes += decode_ballot(
                    ballot_box.unseal(private, meeting.id, paper), candidates=list(meeting.candidates)
                )
            del private
        if len(sealed) > voted:  # more ballots than members who voted: the box was stuffed
            raise conflict(
                "BALLOT_BOX_MISMATCH",
                f"投票箱中有{len(sealed)}张选票，但只有{voted}名委员投票，计票中止，请核对投票箱",
                f"The box holds {len(sealed)} ballots but only {voted} members voted; the count stops: "
                "check the ballot box",
                ballots=len(sealed),
                voted=voted,
            )
        if key_row is not None:
            key_row.wrapped_private_key = None  # destroyed: nothing sealed to it is left
        return votes, {"ballots": len(sealed), "voted": voted, "unrecorded": voted - len(sealed)}

    async def _vacuum_ballot_tables(self) -> None:
        """Best effort: drop the dead row versions the casts and the close left behind (old sealed
        ballots, the wrapped key, the register's history) from the tables' pages. The WAL and
        backups keep theirs (README, Security)."""
        engine = self.sessions.kw["bind"]
        try:
            async with engine.connect() as conn:
                conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM " + ", ".join(ballot_box.BALLOT_TABLES)))
        except Exception as e:
            activity.logger.warning("could not vacuum the ballot tables: %s", type(e).__name__)

    # --- the public notice and objections ---------------------------------------------------------
    @activity.defn
    async def publish_preliminary(self, req: PublishPreliminaryRequest) -> NoticeWindow:
        async with self.sessions.begin() as s:
            n = await cq.open_public_notice(
                s,
                req.year,
                jsonable(asdict(req.preliminary)),
                at=req.at,
                closes_at=due_after(req.at, req.rules.public_notice_period, req.rules.holiday_calendar),
            )
            text = texts.preliminary_notice(
                req.year,
                req.preliminary.winners,
                n.closes_at,
                n.published_at,
                runoffs=req.preliminary.runoffs,
                vacated=req.preliminary.vacated,
            )
            await write_notices(
                s,
                [
                    NoticeInput.public(
                        f"preliminary-{req.year}", NoticeKind.PRELIMINARY_LIST, text, n.published_at, req.year
                    )
                ],
            )
            await repo.audit_by(
                s,
                repo.SYSTEM,
                "PRELIMINARY_LIST_PUBLISHED",
                "cycle",
                str(req.year),
                at=req.at,
                details={
                    "closes_at": n.closes_at.isoformat(),
                    "winners": [w.application_id for w in req.preliminary.winners],
                },
                key=f"preliminary-published-{req.year}",
            )
            return NoticeWindow(n.published_at, n.closes_at)

    @activity.defn
    async def close_notice(self, year: int) -> None:
        """The notice's timer has fired: no objection is taken any more (R14.7). The row lock lets an
        objection being stored finish first; the API refuses every later one."""
        async with self.sessions.begin() as s:
            n = await cq.public_notice(s, year, for_update=True)
            if n is None:
                raise ApplicationError(f"no public notice for {year}", non_retryable=True)
            if not n.closed:
                n.closed = True
                await repo.audit_by(
                    s,
                    repo.SYSTEM,
                    "PUBLIC_NOTICE_CLOSED",
                    "cycle",
                    str(year),
                    at=n.closes_at,
                    details={"objections": n.objections_count},
                    key=f"notice-closed-{year}",
                )

    # --- the supplementary notice after a return (补充公示) -----------------------------------------
    @activity.defn
    async def publish_supplementary(self, req: PublishSupplementaryRequest) -> SupplementaryNotice:
        """Check the committee's proposal against the ballot, the published lists, the returned
        version and the quota (domain.supplementary), then publish the 7-day notice of the added
        candidates (counted like the preliminary list's). A retry returns the notice published."""
        notice_id = f"{req.year}-SUPP-{req.seq}"
        async with self.sessions.begin() as s:
            n = await cq.public_notice(s, req.year, for_update=True)
            if n is None:
                raise ApplicationError(f"no public notice for {req.year}", non_retryable=True)
            row = await cq.supplementary_notice(s, notice_id)
            if row is None:
                earlier = await repo.supplementary_notices(s, req.year)
                returned = await repo.list_version(s, req.year, req.answers_version)
                try:
                    if (
                        returned is None
                        or returned.state != "RETURNED"
                        or any(r.answers_version == req.answers_version for r in earlier)
                    ):
                        raise conflict(
                            "SUPPLEMENTARY_NOTICE_NOT_OPEN",
                            "只有区政府退回拟授奖名单后、重新确定名单前，方可提请补充公示（每次退回一次）",
                            "A supplementary notice is proposed only after the government returned the "
                            "list and before the next version is fixed (once per return)",
                        )
                    published = [w["application_id"] for w in n.preliminary["winners"]]
                    published += [c["application_id"] for r in earlier for c in r.candidates]
                    standings = await repo.plenary_standings(s, n)
                    check_proposal(
                        add=req.add,
                        make_room=req.make_room,
                        standings=standings,
                        published=published,
                        listed={w["application_id"]: Award(w["award"]) for w in returned.winners},
                        quota={
                            Award.QUALITY: req.rules.quota_quality,
                            Award.INNOVATION: req.rules.quota_innovation,
                        },
                        min_final_score=req.rules.min_final_score,
                    )
                except DomainError as e:
                    raise refuse(e) from None
                approve = {str(t["candidate_id"]): int(t["approve"]) for t in n.preliminary.get("tally", [])}
                names = {a.id: name for a, name in await cq.applications_named(s, sorted(req.add))}
                # in the order of the preliminary list: by award, then votes and final score
                ordered = sorted(
                    req.add,
                    key=lambda a: (
                        standings[a].award is not Award.QUALITY,
                        -approve.get(a, 0),
                        -standings[a].final_score,
                        a,
                    ),
                )
                candidates = [
                    ListEntry(
                        a, standings[a].award, names[a], str(standings[a].final_score), approve.get(a, 0)
                    )
                    for a in ordered
                ]
                row = m.SupplementaryNotice(
                    id=notice_id,
                    cycle_year=req.year,
                    seq=req.seq,
                    answers_version=req.answers_version,
                    candidates=[jsonable(asdict(c)) for c in candidates],
                    reasons={a: req.add[a].strip() for a in ordered},
                    make_room={a: why.strip() for a, why in req.make_room.items()},
                    note=req.note,
                    proposed_by=req.actor.username,
                    published_at=req.at,
                    closes_at=due_after(req.at, req.rules.public_notice_period, req.rules.holiday_calendar),
                    closed=False,
                )
                s.add(row)
                text = texts.supplementary_notice(req.year, candidates, row.closes_at, req.at, seq=req.seq)
                key = f"supplementary-{req.year}-{req.seq}"
                await write_notices(
                    s, [NoticeInput.public(key, NoticeKind.SUPPLEMENTARY_NOTICE, text, req.at, req.year)]
                )
                await repo.audit_by(
                    s,
                    req.actor,
                    "SUPPLEMENTARY_NOTICE_PUBLISHED",
                    "cycle",
                    str(req.year),
                    at=req.at,
                    reason=req.note,
                    details={
                        "notice_id": notice_id,
                        "answers_version": req.answers_version,
                        "candidates": dict(row.reasons),
                        "make_room": dict(row.make_room),
                        "closes_at": row.closes_at.isoformat(),
                    },
                    key=f"supplementary-published-{notice_id}",
                )
            return SupplementaryNotice(
                row.id,
                row.seq,
                row.answers_version,
                [ListEntry(**{**c, "award": Award(c["award"])}) for c in row.candidates],
                row.published_at,
                row.closes_at,
            )

    @activity.defn
    async def close_supplementary(self, notice_id: str) -> None:
        """The supplementary notice's timer has fired: no objection is taken any more. The row lock
        lets an objection being stored finish first; the API refuses every later one."""
        async with self.sessions.begin() as s:
            row = await cq.supplementary_notice(s, notice_id, for_update=True)
            if row is None:
                raise ApplicationError(f"no supplementary notice {notice_id}", non_retryable=True)
            if not row.closed:
                row.closed = True
                filed = await cq.objections_to(s, notice_id)
                await repo.audit_by(
                    s,
                    repo.SYSTEM,
                    "SUPPLEMENTARY_NOTICE_CLOSED",
                    "cycle",
                    str(row.cycle_year),
                    at=row.closes_at,
                    details={"notice_id": notice_id, "objections": filed},
                    key=f"supplementary-closed-{notice_id}",
                )

    @activity.defn
    async def record_investigation(self, inp: RecordInvestigationInput) -> None:
        async with self.sessions.begin() as s:
            o = await cq.objection(s, inp.objection_id)
            if o is None:
                raise ApplicationError(f"objection {inp.objection_id} not found", non_retryable=True)
            if o.state != "REPORTED":  # a late retry never takes a reported objection back
                o.state = inp.state
            if inp.investigator is not None:
                o.investigator, o.due_at = inp.investigator, inp.due_at
            if inp.state == "REPORTED":
                o.findings, o.conclusion, o.reported_at = inp.findings, inp.conclusion, inp.at
            await repo.audit_by(
                s,
                inp.actor or repo.SYSTEM,
                f"OBJECTION_{inp.state}",
                "objection",
                inp.objection_id,
                at=inp.at,
                reason=inp.findings,
                details={"investigator": inp.investigator, "conclusion": inp.conclusion},
                key=f"objection-{inp.objection_id}-{inp.state}",
            )
            await write_notices(s, inp.notices)
            year = o.cycle_year
        if inp.state == "REPORTED":
            await self.wakeups.after_progress(year)

    # --- final list, approval, certificates -------------------------------------------------------
    @activity.defn
    async def fix_final_list(self, req: FixFinalListRequest) -> FinalList:
        """The committee fixes a version of the list proposed to the government (R14.8): the first
        from the preliminary list and the committee's decisions on the substantiated findings (no
        candidate is removed without one; none is fixed while one is missing), a later one from the
        returned version and the committee's revisions. Each version is kept; a retry returns the
        version it fixed."""
        async with self.sessions.begin() as s:
            n = await cq.public_notice(s, req.year, for_update=True)
            assert n is not None
            preliminary = [w["application_id"] for w in n.preliminary["winners"]]
            entries = {
                w["application_id"]: ListEntry(**{**w, "award": Award(w["award"])})
                for w in n.preliminary["winners"]
            }
            # the candidates of the supplementary notices after a return (补充公示)
            for sup in await repo.supplementary_notices(s, req.year):
                entries |= {
                    c["application_id"]: ListEntry(**{**c, "award": Award(c["award"])})
                    for c in sup.candidates
                }
            versions = await repo.list_versions(s, req.year)
            number = req.version or max((v.version for v in versions), default=0) + 1
            row = next((v for v in versions if v.version == number), None)
            if row is None:
                previous = repo.previous_version(versions, number)
                try:
                    composed = compose(
                        preliminary=preliminary,
                        previous=previous,
                        remove=req.remove,
                        reinstate=req.reinstate,
                        **await repo.list_composition(s, req.year, n),
                    )
                except DomainError as e:
                    raise refuse(e) from None
                returned = next((v for v in versions if previous and v.version == previous.version), None)
                row = m.FinalListVersion(
                    cycle_year=req.year,
                    version=number,
                    winners=[jsonable(asdict(entries[a])) for a in composed.winners],
                    removed=composed.removed,
                    reinstated=composed.reinstated,
                    kept=composed.kept,
                    supplemented=composed.supplemented,
                    supplementary_notice=composed.supplementary,
                    note=req.note,
                    fixed_by=req.actor.username,
                    fixed_at=req.at,
                    answers_version=previous.version if previous else None,
                    answers_reason=returned.return_reason if returned else "",
                    state="PENDING",
                    document_no="",
                    return_reason="",
                )
                s.add(row)
                final = self._final(row, entries)
                await repo.audit_by(
                    s,
                    req.actor,
                    "FINAL_LIST_FIXED",
                    "cycle",
                    str(req.year),
                    at=req.at,
                    reason=req.note,
                    details=jsonable(asdict(final)),
                    key=f"final-list-{req.year}-v{number}",
                )
            final = self._final(row, entries)
            n.final, n.final_fixed_by, n.final_fixed_at = jsonable(asdict(final)), row.fixed_by, row.fixed_at
            n.approval_state = ""
        return final

    @staticmethod
    def _final(row: m.FinalListVersion, entries: dict[str, ListEntry]) -> FinalList:
        return FinalList(
            [entries[w["application_id"]] for w in row.winners],
            dict(row.removed),
            row.version,
            dict(row.reinstated),
            dict(row.kept),
            row.answers_version or 0,
            dict(row.supplemented or {}),
            row.supplementary_notice or "",
        )

    @activity.defn
    async def record_approval(self, inp: RecordApprovalInput) -> None:
        d = inp.decision
        async with self.sessions.begin() as s:
            n = await cq.public_notice(s, inp.year, for_update=True)
            assert n is not None
            n.approval_state = "APPROVED" if d.approved else "RETURNED"
            n.approved_by, n.approved_at = d.actor.username, inp.at
            if d.approved:
                n.approval_document_no = d.document_no
            else:
                n.return_reason = d.reason
            versions = await repo.list_versions(s, inp.year)
            number = inp.version or max((v.version for v in versions), default=0)
            row = next((v for v in versions if v.version == number), None)
            if row is not None:  # lists fixed before versions were kept have none
                row.state = n.approval_state
                row.decided_by, row.decided_at = d.actor.username, inp.at
                row.document_no, row.return_reason = (d.document_no, "") if d.approved else ("", d.reason)
            await repo.audit_by(
                s,
                d.actor,
                "GOVERNMENT_APPROVED" if d.approved else "GOVERNMENT_RETURNED",
                "cycle",
                str(inp.year),
                at=inp.at,
                reason=d.reason,
                details={"document_no": d.document_no, "version": number},
                key=f"approval-{inp.year}-{inp.at.isoformat()}",
            )

    @activity.defn
    async def issue_certificates(self, req: IssueCertificatesRequest) -> list[CertificateIssued]:
        """Number and record each winner's certificate and plaque once (R15.1)."""
        async with self.sessions.begin() as s:
            for award in (Award.QUALITY, Award.INNOVATION):
                group = [w for w in req.winners if w.award is award]
                for seq, w in enumerate(group, 1):
                    app = await repo.application(s, w.application_id)
                    assert app is not None
                    number = certificate_number(req.year, award, seq)
                    await cq.issue_certificate(
                        s,
                        m.Certificate(
                            number=number,
                            cycle_year=req.year,
                            award=award,
                            application_id=w.application_id,
                            enterprise_id=app.enterprise_id,
                            text=certificate_text(
                                enterprise_name=w.enterprise_name,
                                year=req.year,
                                award=award,
                                number=number,
                                issued_on=req.at,
                            ),
                            plaque_text=plaque_text(
                                enterprise_name=w.enterprise_name, year=req.year, award=award
                            ),
                            workflow_id=award_workflow_id(req.year, w.application_id),
                            issued_at=req.at,
                        ),
                    )
                    await repo.audit_by(
                        s,
                        repo.SYSTEM,
                        "CERTIFICATE_ISSUED",
                        "application",
                        w.application_id,
                        at=req.at,
                        details={"number": number, "approval": req.document_no},
                        key=f"certificate-{w.application_id}",
                    )
            rows = await cq.certificates_of(s, [w.application_id for w in req.winners])
            names = {w.application_id: w.enterprise_name for w in req.winners}
            codes = await cq.credit_codes(s, [c.enterprise_id for c in rows])
            await write_notices(s, req.notices)
            return [
                CertificateIssued(
                    c.application_id,
                    c.number,
                    Award(c.award),
                    names[c.application_id],
                    c.workflow_id,
                    c.enterprise_id,
                    codes[c.enterprise_id],
                )
                for c in sorted(rows, key=lambda c: c.number)
            ]

    def all(self) -> list[Callable[..., Any]]:
        return defined_activities(self)
