"""AwardCycleWorkflow (`award-cycle-{year}`): the conductor of one year's award."""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypeVar

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from activities.committee import CommitteeActivities
    from activities.review import ReviewActivities
    from config.constants import application_workflow_id, cycle_workflow_id
    from contracts.application import (
        ApplicationInput,
        FinalResult,
        IntakeClosed,
        OnsiteDecision,
        PanelAssignment,
    )
    from contracts.award import AwardFacts
    from contracts.common import Actor, NoticeInput
    from contracts.cycle import (
        ApplicationProgress,
        ApplicationRef,
        CertificateIssued,
        CloseBallotRequest,
        ConveneInput,
        CycleStageInput,
        CycleState,
        DeadlineExtendedInput,
        DrawOutcome,
        DrawPanelsInput,
        DrawRequest,
        ExtendDeadlineInput,
        FinalList,
        FinalListInput,
        GovernmentDecisionInput,
        IssueCertificatesRequest,
        MeetingOpened,
        NoticeWindow,
        OnsiteListInput,
        OnsiteListRecord,
        OpenMeetingRequest,
        Preliminary,
        PublishPreliminaryRequest,
        RecordApplicationInput,
        RecordApprovalInput,
        RecordCycleInput,
        RecordFinalListInput,
        ReviewProgress,
        StartCycleInput,
        SubmitApplicationInput,
        SubmitApplicationResult,
    )
    from contracts.objection import (
        ObjectionConcluded,
        ObjectionFiled,
        ObjectionInput,
        ObjectionWorkflowInput,
        RecordObjectionInput,
    )
    from domain import notices as texts
    from domain.calendar import cst_date, format_cst
    from domain.errors import conflict, invalid
    from domain.final_list import removals
    from domain.intake import Submission, validate_extension, validate_submission
    from domain.publicity import check_objection_window, format_close, needs_investigation
    from domain.review import ReviewPurpose, check_onsite_list
    from domain.rubric import load_rubric, validate_scores
    from domain.rules import CycleRules
    from domain.types import ApplicationStage, Audience, CycleStage, NoticeKind, Outcome
    from workflows.application import ApplicationWorkflow
    from workflows.award import AwardWorkflow
    from workflows.common import (
        SA_AWARD,
        SA_CREDIT_CODE,
        SA_STAGE,
        SA_YEAR,
        InProgress,
        enforce,
        publish,
        record,
        rejected,
    )
    from workflows.objection import ObjectionWorkflow

T = TypeVar("T")


@workflow.defn
class AwardCycleWorkflow:
    @workflow.init
    def __init__(self, inp: StartCycleInput) -> None:
        self.rules: CycleRules = inp.rules
        self.deadline: datetime = inp.rules.application_deadline
        self.intake_open = True
        self.stage = CycleStage.CALL_OPEN
        self.applications: dict[str, ApplicationRef] = {}  # by application id
        self.applicants: set[str] = set()  # credit codes
        self.submitting = 0  # submissions between acceptance and child start
        self.enterprise_ids: dict[str, int] = {}
        self.waiting_for = ""
        self.opened = False  # cycle recorded and call notice published
        self.review_totals: dict[tuple[str, ReviewPurpose], str] = {}
        self.drawn: dict[ReviewPurpose, set[str]] = {
            ReviewPurpose.DOCUMENT: set(),
            ReviewPurpose.ONSITE: set(),
        }
        self.draw_count = 0
        self.onsite_list: list[str] | None = None
        self.onsite_note = ""
        self.meeting: MeetingOpened | None = None
        self.ballots_signalled = 0
        self.ballots_cast = 0
        self.ballot_close_requested = False
        self.preliminary: Preliminary | None = None
        self.window: NoticeWindow | None = None
        self.window_closed = False
        self.objections = 0
        self.investigated = 0
        self.submissions_in_flight = 0
        self.concluded: dict[str, ObjectionConcluded] = {}
        self.final: FinalList | None = None
        self.approval: GovernmentDecisionInput | None = None
        self.returns: list[str] = []
        self.certificates: dict[str, str] = {}
        self.objection_digests: set[str] = set()  # the same objection filed twice is one objection
        self.busy = InProgress()

    # --- the process -------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: StartCycleInput) -> None:
        year = self.rules.year
        await record(
            AwardActivities.record_cycle_started,
            RecordCycleInput(self.rules, workflow.info().workflow_id, inp.started_by, workflow.now()),
            "record the cycle and its frozen rules",
        )
        call = texts.call_for_applications(self.rules, workflow.now())
        await self._publish(f"call-{year}", NoticeKind.CALL_FOR_APPLICATIONS, call)
        self.opened = True

        await self._accept_applications_until_deadline()
        await self._enter(CycleStage.QUALIFICATION_REVIEW)
        for ref in self.applications.values():
            await workflow.get_external_workflow_handle(application_workflow_id(ref.application_id)).signal(
                ApplicationWorkflow.intake_closed, IntakeClosed(self.deadline)
            )
        self._wait_text()
        await workflow.wait_condition(
            lambda: all(self._qualification_done(a) for a in self.applications.values())
        )

        await self._enter(CycleStage.DOCUMENT_REVIEW)
        self._wait_text()
        # 资料评审: the office draws the panels (update draw_panels); each application reports its score.
        await workflow.wait_condition(
            lambda: all(self._reviewed(a, ReviewPurpose.DOCUMENT) for a in self._qualified())
        )

        await self._enter(CycleStage.ONSITE_SELECTION)
        self._wait_text()
        await workflow.wait_condition(lambda: self.onsite_list is not None)
        assert self.onsite_list is not None
        for app_id in sorted(self._qualified()):
            listed = app_id in self.onsite_list
            await workflow.get_external_workflow_handle(application_workflow_id(app_id)).signal(
                ApplicationWorkflow.onsite_listed, OnsiteDecision(listed, "" if listed else self.onsite_note)
            )

        await self._enter(CycleStage.ONSITE_REVIEW)
        self._wait_text()
        # 现场评审: the office draws the on-site panels with visit dates; reports are confirmed.
        await workflow.wait_condition(
            lambda: all(self._reviewed(a, ReviewPurpose.ONSITE) for a in self.onsite_list or [])
        )

        await self._enter(CycleStage.AWAITING_COMMITTEE)
        self._wait_text()

        # 审查表决 (Art. 14(4)): the office convenes the plenary (update convene_meeting), presents its
        # work report; members vote by secret ballot through the API, which tells us only that a
        # ballot was cast. The ballot closes when everyone present has voted or the office closes it.
        await workflow.wait_condition(lambda: self.meeting is not None)
        assert self.meeting is not None
        await self._enter(CycleStage.BALLOT)
        counted = 0  # ballots signalled when we last counted: a signal during a count is not lost
        while not self.ballot_close_requested:
            self._wait_text()

            def news(counted: int = counted) -> bool:
                return self.ballots_signalled != counted or self.ballot_close_requested

            await workflow.wait_condition(news)
            counted = self.ballots_signalled
            status = await record(
                CommitteeActivities.ballot_status, self.meeting.meeting_id, "count ballots cast"
            )
            self.ballots_cast = status.voted
            if status.voted >= status.present:
                break
        self.preliminary = await record(
            CommitteeActivities.close_ballot,
            CloseBallotRequest(self.rules.year, self.meeting.meeting_id, self.rules, workflow.now()),
            "tally the ballot and derive the preliminary list",
        )

        # 初选公示 (Art. 14(5)): 7 days, counted by the Civil Code; objections are investigated.
        await self._enter(CycleStage.PUBLIC_NOTICE)
        self.window = await record(
            CommitteeActivities.publish_preliminary,
            PublishPreliminaryRequest(self.rules.year, self.preliminary, self.rules, workflow.now()),
            "publish the preliminary list",
        )
        text = texts.preliminary_notice(
            self.rules.year, self.preliminary.winners, self.window.closes_at, self.window.published_at
        )
        await self._publish(f"preliminary-{self.rules.year}", NoticeKind.PRELIMINARY_LIST, text)
        self._wait_text()
        remaining = self.window.closes_at - workflow.now()
        if remaining > timedelta(0):
            await workflow.sleep(remaining, summary="7-day public notice")
        self.window_closed = True
        self._wait_text()
        await workflow.wait_condition(
            lambda: self.submissions_in_flight == 0 and len(self.concluded) == self.investigated
        )

        # 审定批准 (Art. 14(6)): the committee fixes the list, the government approves or returns it.
        # Each step's slot is emptied *before* its stage is entered: the stage is visible (and the
        # update accepted) while `_enter` records it, and a list or decision that arrives then must
        # neither be refused as "already given" nor be wiped after it was accepted.
        while True:
            self.final = None
            await self._enter(CycleStage.FINAL_LIST)
            self._wait_text()
            await workflow.wait_condition(lambda: self.final is not None)
            self.approval = None
            await self._enter(CycleStage.GOVERNMENT_APPROVAL)
            self._wait_text()
            await workflow.wait_condition(lambda: self.approval is not None)
            assert self.approval is not None
            if self.approval.approved:
                break
        assert self.final is not None and self.approval is not None

        # Publication (Art. 15): announcement, certificates, each winner's award workflow, results.
        announcement = texts.award_announcement(
            self.rules.year, self.final.winners, self.approval.document_no, workflow.now()
        )
        await self._publish(f"announcement-{self.rules.year}", NoticeKind.AWARD_ANNOUNCEMENT, announcement)
        issued = await record(
            CommitteeActivities.issue_certificates,
            IssueCertificatesRequest(
                self.rules.year, self.final.winners, self.approval.document_no, workflow.now()
            ),
            "issue certificates",
        )
        self.certificates = {c.application_id: c.number for c in issued}
        for c in issued:
            await self._start_award(c)
        for app_id in sorted(self.onsite_list or []):
            number = self.certificates.get(app_id, "")
            reason = (
                "经区政府批准授奖"
                if number
                else self.final.removed.get(app_id)
                or (self.preliminary.excluded.get(app_id) or "未列入拟授奖名单")
            )
            await workflow.get_external_workflow_handle(application_workflow_id(app_id)).signal(
                ApplicationWorkflow.final_result, FinalResult(bool(number), reason, number)
            )
        # The applications report their final stage back; the cycle closes only after that (cycles
        # recorded before this rule close at once: `patched` keeps their histories replaying).
        if workflow.patched("cycle-waits-for-final-results"):
            await workflow.wait_condition(
                lambda: all(
                    self.applications[a].stage in (ApplicationStage.AWARDED, ApplicationStage.NOT_AWARDED)
                    for a in self.onsite_list or []
                )
            )
        await self._enter(CycleStage.COMPLETED)
        self._wait_text()
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _accept_applications_until_deadline(self) -> None:
        while True:
            remaining = self.deadline - workflow.now()
            if remaining.total_seconds() <= 0:
                break
            current = self.deadline
            self._wait_text()

            def moved(current: datetime = current) -> bool:
                return self.deadline != current

            try:
                await workflow.wait_condition(
                    moved,
                    timeout=remaining,
                    timeout_summary="application deadline",
                )
            except TimeoutError:
                break
        self.intake_open = False
        # Submissions accepted before the deadline finish recording and starting their workflow.
        await workflow.wait_condition(lambda: self.submitting == 0)

    @staticmethod
    def _qualification_done(a: ApplicationRef) -> bool:
        return a.stage not in (
            ApplicationStage.SUBMITTED,
            ApplicationStage.QUALIFICATION_CHECK,
            ApplicationStage.QUALIFICATION_DECISION,
        )

    def _qualified(self) -> list[str]:
        return [
            a.application_id
            for a in self.applications.values()
            if a.outcome is not Outcome.NOT_QUALIFIED and a.outcome is not Outcome.PENDING
        ]

    def _reviewed(self, application_id: str, purpose: ReviewPurpose) -> bool:
        return (application_id, purpose) in self.review_totals

    async def _enter(self, stage: CycleStage) -> None:
        self.stage = stage
        workflow.upsert_search_attributes([SA_STAGE.value_set(stage)])
        await record(
            AwardActivities.record_cycle_stage,
            CycleStageInput(self.rules.year, stage, self.deadline, workflow.now()),
            f"cycle stage {stage}",
        )

    def _wait_text(self) -> None:
        n = len(self.applications)
        if self.stage is CycleStage.CALL_OPEN:
            text = (
                f"Call open (申报受理中): {n} applications; intake closes at {format_cst(self.deadline)} CST"
            )
        elif self.stage is CycleStage.QUALIFICATION_REVIEW:
            done = sum(self._qualification_done(a) for a in self.applications.values())
            text = f"Qualification review (资格审查): {done} of {n} applications decided"
        elif self.stage is CycleStage.DOCUMENT_REVIEW:
            q = self._qualified()
            drawn = len(self.drawn[ReviewPurpose.DOCUMENT])
            done = sum(self._reviewed(a, ReviewPurpose.DOCUMENT) for a in q)
            text = (
                f"Document review (资料评审): {len(q)} qualified of {n} applications, {drawn} panels drawn, {done} panel opinions in"
                if drawn
                else f"Waiting for document review (资料评审) to open: {len(q)} qualified of {n} applications; the office draws the panels"
            )
        elif self.stage is CycleStage.ONSITE_SELECTION:
            text = f"Waiting for the office to fix the on-site list (现场评审名单): {len(self._qualified())} applications reviewed"
        elif self.stage is CycleStage.ONSITE_REVIEW:
            listed = self.onsite_list or []
            done = sum(self._reviewed(a, ReviewPurpose.ONSITE) for a in listed)
            drawn = len(self.drawn[ReviewPurpose.ONSITE])
            text = f"On-site review (现场评审): {len(listed)} listed, {drawn} panels drawn, {done} reports confirmed"
        elif self.stage is CycleStage.AWAITING_COMMITTEE:
            text = f"On-site review finished: {len(self.onsite_list or [])} applications wait for the committee (审查表决)"
        elif self.stage is CycleStage.BALLOT:
            present = self.meeting.present if self.meeting else 0
            text = f"Plenary secret ballot (无记名投票): {self.ballots_cast} of {present} members present have voted"
        elif self.stage is CycleStage.PUBLIC_NOTICE:
            closes = format_close(self.window.closes_at) if self.window else "?"
            pending = self.investigated - len(self.concluded)
            text = (
                f"Public notice (初选公示) until {closes} CST; {self.objections} objections, {pending} investigations open"
                if not self.window_closed
                else f"Notice closed; waiting for {pending} investigation reports (调查报告)"
            )
        elif self.stage is CycleStage.FINAL_LIST:
            back = f" (returned by the government: {self.returns[-1]})" if self.returns else ""
            text = f"Waiting for the committee to fix the list proposed to the government (拟授奖名单){back}"
        elif self.stage is CycleStage.GOVERNMENT_APPROVAL:
            text = "Waiting for the district government's approval (区政府审定批准)"
        else:
            text = f"Completed: {len(self.certificates)} certificates issued"
        self.waiting_for = text
        workflow.set_current_details(text)

    async def _publish(self, key: str, kind: NoticeKind, text: texts.NoticeText) -> None:
        await publish(
            NoticeInput(key, kind, Audience.PUBLIC, text.title, text.body, workflow.now(), self.rules.year)
        )

    # --- intake: submissions (update) ---------------------------------------------------------
    def _submission(self, inp: SubmitApplicationInput) -> Submission:
        return Submission(inp.credit_code, inp.award, tuple(inp.documents), inp.submitted_by.username)

    @workflow.update
    async def submit_application(self, inp: SubmitApplicationInput) -> SubmitApplicationResult:
        # A validator and a handler may interleave with another submission: check again here.
        if inp.credit_code in self.applicants:
            raise rejected(
                conflict(
                    "DUPLICATE_APPLICATION",
                    "本单位已在本年度提交申报，每个单位每年只能申报一次",
                    "This organisation has already applied in this cycle",
                )
            )
        self.applicants.add(inp.credit_code)
        self.submitting += 1
        try:
            year = self.rules.year
            application_id = f"{year}-{len(self.applications) + 1:04d}"
            wf_id = application_workflow_id(application_id)
            self.applications[application_id] = ApplicationRef(application_id, inp.credit_code, inp.award)
            self.enterprise_ids[application_id] = inp.enterprise_id
            now = workflow.now()
            await record(
                AwardActivities.record_application,
                RecordApplicationInput(application_id, year, wf_id, inp, now),
                f"record application {application_id}",
            )
            await workflow.start_child_workflow(
                ApplicationWorkflow.run,
                ApplicationInput(
                    application_id,
                    year,
                    inp.award,
                    inp.enterprise_id,
                    inp.credit_code,
                    inp.enterprise_name,
                    self.rules,
                    workflow.info().workflow_id,
                ),
                id=wf_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
                search_attributes=ApplicationWorkflow.initial_search_attributes(
                    year, inp.award, inp.credit_code
                ),
                static_summary=f"{year} {inp.award.name_zh} · {inp.enterprise_name}",
                static_details=f"申报单位 {inp.enterprise_name}（{inp.credit_code}），{year}年度{inp.award.name_zh}",
            )
            self._wait_text()
            return SubmitApplicationResult(application_id, wf_id, now)
        finally:
            self.submitting -= 1

    @submit_application.validator
    def _validate_submission(self, inp: SubmitApplicationInput) -> None:
        enforce(
            lambda: validate_submission(
                self._submission(inp),
                now=workflow.now(),
                deadline=self.deadline,
                intake_open=self.intake_open,
                applicants=self.applicants,
            )
        )
        enforce(
            lambda: validate_scores(
                load_rubric(self.rules.criteria_edition), inp.self_assessment, complete=True
            )
        )

    # --- intake: deadline extension (update) --------------------------------------------------
    @workflow.update
    async def extend_deadline(self, inp: ExtendDeadlineInput) -> datetime:
        old = self.deadline
        self.deadline = inp.new_deadline
        now = workflow.now()
        info = workflow.current_update_info()
        await record(
            AwardActivities.record_deadline_extended,
            DeadlineExtendedInput(
                self.rules.year,
                old,
                inp.new_deadline,
                inp.reason,
                inp.actor,
                now,
                key=f"deadline-extended-{self.rules.year}-{info.id if info else now.isoformat()}",
            ),
            "record deadline extension",
        )
        text = texts.deadline_extended(self.rules.year, old, inp.new_deadline, inp.reason, now)
        await self._publish(
            f"deadline-extended-{self.rules.year}-{inp.new_deadline.isoformat()}",
            NoticeKind.DEADLINE_EXTENDED,
            text,
        )
        return self.deadline

    @extend_deadline.validator
    def _validate_extension(self, inp: ExtendDeadlineInput) -> None:
        enforce(
            lambda: validate_extension(
                now=workflow.now(),
                current=self.deadline,
                new_deadline=inp.new_deadline,
                intake_open=self.intake_open,
                reason=inp.reason,
            )
        )

    # --- children report progress (signal) ----------------------------------------------------
    @workflow.signal
    def application_progress(self, p: ApplicationProgress) -> None:
        ref = self.applications.get(p.application_id)
        if ref is not None:
            ref.stage, ref.outcome = p.stage, p.outcome
            self._wait_text()

    @workflow.signal
    def review_progress(self, p: ReviewProgress) -> None:
        self.review_totals[(p.application_id, p.purpose)] = p.total
        self._wait_text()

    # --- expert panels (updates) -------------------------------------------------------------------
    def _draw_targets(self, inp: DrawPanelsInput) -> tuple[ReviewPurpose, list[str]]:
        if self.stage is CycleStage.DOCUMENT_REVIEW:
            purpose, candidates = ReviewPurpose.DOCUMENT, self._qualified()
        elif self.stage is CycleStage.ONSITE_REVIEW:
            purpose, candidates = ReviewPurpose.ONSITE, list(self.onsite_list or [])
        else:
            raise rejected(
                conflict(
                    "DRAW_NOT_OPEN", "当前阶段不能抽取评审组", f"No panel can be drawn in stage {self.stage}"
                )
            )
        targets = sorted(a for a in candidates if a not in self.drawn[purpose])
        if not targets:
            raise rejected(
                conflict(
                    "NOTHING_TO_DRAW", "所有申报均已抽取评审组", "Every application already has its panel"
                )
            )
        if purpose is ReviewPurpose.ONSITE:
            missing = [a for a in targets if a not in inp.visits]
            if missing:
                raise rejected(
                    invalid(
                        "VISIT_DATE_REQUIRED",
                        "请为以下申报安排现场评审日期：" + "、".join(missing),
                        "Schedule the visit date of: " + ", ".join(missing),
                    )
                )
            today = cst_date(workflow.now())
            early = [a for a in targets if inp.visits[a] < today]
            if early:
                raise rejected(
                    invalid("VISIT_DATE_PAST", "现场评审日期不能早于今天", "A visit date is in the past")
                )
        return purpose, targets

    @workflow.update
    async def draw_panels(self, inp: DrawPanelsInput) -> DrawOutcome:
        """Draw the panels of every application that waits for one (R9.1, R20.1): seeded here,
        recorded with the inputs' hash by the activity, re-runnable by anyone."""
        purpose, targets = self._draw_targets(inp)
        self.drawn[purpose].update(targets)  # reserve: a second draw cannot race this one
        self.draw_count += 1
        seed = workflow.random().getrandbits(62)
        draw_id = f"{self.rules.year}-{purpose}-{self.draw_count}"
        outcome = await record(
            ReviewActivities.draw_review_panels,
            DrawRequest(
                self.rules.year,
                purpose,
                draw_id,
                seed,
                targets,
                self.rules,
                inp.actor,
                workflow.now(),
                exclude_members_of=None
                if purpose is ReviewPurpose.DOCUMENT or self.rules.onsite_reuse_members
                else ReviewPurpose.DOCUMENT,
            ),
            f"draw {purpose.value.lower()} panels for {len(targets)} applications",
        )
        for app_id in targets:
            if app_id not in outcome.panels:
                self.drawn[purpose].discard(app_id)  # a seat could not be filled: the office draws again
        for app_id, seats in sorted(outcome.panels.items()):
            await workflow.get_external_workflow_handle(application_workflow_id(app_id)).signal(
                ApplicationWorkflow.panel_assigned,
                PanelAssignment(purpose, draw_id, seats, inp.visits.get(app_id)),
            )
        self._wait_text()
        return outcome

    @draw_panels.validator
    def _validate_draw(self, inp: DrawPanelsInput) -> None:
        self._draw_targets(inp)

    @workflow.update
    async def fix_onsite_list(self, inp: OnsiteListInput) -> list[str]:
        """The office fixes the on-site list from the document review opinions (R14.3)."""
        self._check_onsite_list(inp)
        self.onsite_list, self.onsite_note = list(inp.application_ids), inp.note
        await record(
            ReviewActivities.record_onsite_list,
            OnsiteListRecord(
                self.rules.year,
                sorted(inp.application_ids),
                sorted(set(self._qualified()) - set(inp.application_ids)),
                inp.note,
                inp.actor,
                workflow.now(),
            ),
            "record the on-site list",
        )
        return self.onsite_list

    @fix_onsite_list.validator
    def _validate_onsite_list(self, inp: OnsiteListInput) -> None:
        self._check_onsite_list(inp)

    def _check_onsite_list(self, inp: OnsiteListInput) -> None:
        if self.stage is not CycleStage.ONSITE_SELECTION or self.onsite_list is not None:
            raise rejected(
                conflict(
                    "ONSITE_LIST_NOT_OPEN", "当前不能确定现场评审名单", "The on-site list cannot be fixed now"
                )
            )
        scores = {a: Decimal(t) for (a, p), t in self.review_totals.items() if p is ReviewPurpose.DOCUMENT}
        enforce(
            lambda: check_onsite_list(
                scores, inp.application_ids, threshold=self.rules.onsite_threshold, note=inp.note
            )
        )

    # --- the plenary and its secret ballot -----------------------------------------------------------
    @workflow.update
    async def convene_meeting(self, inp: ConveneInput) -> MeetingOpened:
        with self.busy.running("convene_meeting"):
            return await self._convene_meeting(inp)

    async def _convene_meeting(self, inp: ConveneInput) -> MeetingOpened:
        """The office convenes the plenary with the members present; the work report is presented and
        each member present may cast one ballot (through the API, not through this workflow)."""
        self._check_convene(inp)
        candidates = sorted(a for (a, p) in self.review_totals if p is ReviewPurpose.ONSITE)
        opened = await self._refusable(
            record(
                CommitteeActivities.open_meeting,
                OpenMeetingRequest(
                    self.rules.year,
                    f"{self.rules.year}-plenary-1",
                    sorted(set(inp.attendees)),
                    candidates,
                    self.rules,
                    inp.actor,
                    workflow.now(),
                ),
                "convene the plenary and issue ballots",
            )
        )
        self.meeting = opened
        return opened

    @convene_meeting.validator
    def _validate_convene(self, inp: ConveneInput) -> None:
        self.busy.refuse_if_running("convene_meeting")
        self._check_convene(inp)

    def _check_convene(self, inp: ConveneInput) -> None:
        if self.stage is not CycleStage.AWAITING_COMMITTEE or self.meeting is not None:
            raise rejected(
                conflict("MEETING_NOT_OPEN", "当前不能召开审查表决会议", "The plenary cannot be convened now")
            )
        if not inp.attendees:
            raise rejected(
                invalid("ATTENDANCE_REQUIRED", "请登记出席会议的评委会成员", "Record the members present")
            )

    @workflow.signal
    def ballot_cast(self) -> None:
        """A ballot was stored by the API. Deliberately carries nothing: no voter, no vote."""
        self.ballots_signalled += 1

    @workflow.update
    def close_ballot(self, inp: Actor) -> int:
        """The office closes the ballot before everyone present has voted (absent marks count as not approving)."""
        if self.stage is not CycleStage.BALLOT:
            raise rejected(conflict("BALLOT_NOT_OPEN", "当前没有进行中的投票", "No ballot is open"))
        self.ballot_close_requested = True
        return self.ballots_cast

    # --- the public notice and objections ----------------------------------------------------------
    @workflow.update
    async def file_objection(self, inp: ObjectionInput) -> ObjectionFiled:
        self._check_objection(inp)
        self.objection_digests.add(_objection_digest(inp))
        assert self.window is not None and self.preliminary is not None
        self.submissions_in_flight += 1
        try:
            self.objections += 1
            objection_id = f"{self.rules.year}-OBJ-{self.objections}"
            investigate = needs_investigation(inp.anonymous, self.rules.investigate_anonymous)
            if investigate:
                self.investigated += 1
            await record(
                CommitteeActivities.record_objection,
                RecordObjectionInput(objection_id, self.rules.year, inp, investigate, workflow.now()),
                f"record objection {objection_id}",
            )
            if investigate:
                name = next(
                    w.enterprise_name
                    for w in self.preliminary.winners
                    if w.application_id == inp.application_id
                )
                await workflow.start_child_workflow(
                    ObjectionWorkflow.run,
                    ObjectionWorkflowInput(
                        objection_id,
                        self.rules.year,
                        inp.application_id,
                        name,
                        self.rules,
                        workflow.info().workflow_id,
                    ),
                    id=f"objection-{objection_id.lower()}",
                    parent_close_policy=ParentClosePolicy.ABANDON,
                    search_attributes=TypedSearchAttributes(
                        [
                            SearchAttributePair(SA_YEAR, self.rules.year),
                            SearchAttributePair(SA_STAGE, "INVESTIGATION"),
                        ]
                    ),
                    static_summary=f"{self.rules.year} 公示异议 {objection_id} · {name}",
                )
            self._wait_text()
            return ObjectionFiled(objection_id, investigate, self.window.closes_at)
        finally:
            self.submissions_in_flight -= 1

    @file_objection.validator
    def _validate_objection(self, inp: ObjectionInput) -> None:
        self._check_objection(inp)

    def _check_objection(self, inp: ObjectionInput) -> None:
        if self.window is None or self.preliminary is None:
            raise rejected(
                conflict("OBJECTION_WINDOW_NOT_OPEN", "当前没有进行中的公示", "No public notice is open")
            )
        published, closes = self.window.published_at, self.window.closes_at
        period = self.rules.public_notice_period
        enforce(lambda: check_objection_window(published, workflow.now(), period))
        if self.window_closed or self.stage is not CycleStage.PUBLIC_NOTICE:  # the close timer has fired
            enforce(lambda: check_objection_window(published, closes, period))
        if inp.application_id not in {w.application_id for w in self.preliminary.winners}:
            raise rejected(
                invalid(
                    "OBJECTION_TARGET",
                    "异议对象须为公示名单中的单位",
                    "Object to an organisation on the list",
                )
            )
        if not inp.facts.strip():
            raise rejected(
                invalid("OBJECTION_FACTS", "请说明异议的事实和理由", "State the facts of the objection")
            )
        if _objection_digest(inp) in self.objection_digests:
            raise rejected(
                conflict(
                    "DUPLICATE_OBJECTION", "相同的异议已经受理", "The same objection has already been filed"
                )
            )
        if not inp.anonymous and (not inp.name.strip() or not inp.contact.strip()):
            raise rejected(
                invalid(
                    "OBJECTION_IDENTITY",
                    "实名反映须填写姓名和联系方式；也可选择匿名",
                    "Give your name and contact, or file anonymously",
                )
            )

    @workflow.signal
    def objection_concluded(self, c: ObjectionConcluded) -> None:
        self.concluded[c.objection_id] = c
        self._wait_text()

    # --- the final list and the government's approval ----------------------------------------------
    @workflow.update
    async def fix_final_list(self, inp: FinalListInput) -> FinalList:
        with self.busy.running("fix_final_list"):
            return await self._fix_final_list(inp)

    async def _fix_final_list(self, inp: FinalListInput) -> FinalList:
        """The committee fixes the list proposed to the government: the preliminary list without any
        candidate whose objection was substantiated, each removal with its reason (R14.8)."""
        self._check_final(inp)
        assert self.preliminary is not None
        substantiated = {
            c.application_id: c.findings for c in self.concluded.values() if c.conclusion == "SUBSTANTIATED"
        }
        removed = removals(self.preliminary.winners, substantiated)
        final = FinalList([w for w in self.preliminary.winners if w.application_id not in removed], removed)
        await record(
            CommitteeActivities.record_final_list,
            RecordFinalListInput(self.rules.year, final, inp.actor, workflow.now(), inp.note),
            "record the list proposed to the government",
        )
        self.final = final
        return final

    @fix_final_list.validator
    def _validate_final(self, inp: FinalListInput) -> None:
        self.busy.refuse_if_running("fix_final_list")
        self._check_final(inp)

    def _check_final(self, inp: FinalListInput) -> None:
        if self.stage is not CycleStage.FINAL_LIST or self.final is not None:
            raise rejected(
                conflict(
                    "FINAL_LIST_NOT_OPEN", "当前不能确定拟授奖名单", "The final list cannot be fixed now"
                )
            )

    @workflow.update
    async def government_decision(self, inp: GovernmentDecisionInput) -> str:
        with self.busy.running("government_decision"):
            return await self._government_decision(inp)

    async def _government_decision(self, inp: GovernmentDecisionInput) -> str:
        self._check_decision(inp)
        await record(
            CommitteeActivities.record_approval,
            RecordApprovalInput(self.rules.year, inp, workflow.now()),
            "record the government's decision",
        )
        if not inp.approved:
            self.returns.append(inp.reason)
        self.approval = inp
        return "APPROVED" if inp.approved else "RETURNED"

    @government_decision.validator
    def _validate_decision(self, inp: GovernmentDecisionInput) -> None:
        self.busy.refuse_if_running("government_decision")
        self._check_decision(inp)

    def _check_decision(self, inp: GovernmentDecisionInput) -> None:
        if self.stage is not CycleStage.GOVERNMENT_APPROVAL or self.approval is not None:
            raise rejected(
                conflict("APPROVAL_NOT_OPEN", "当前没有待审批的拟授奖名单", "No list is waiting for approval")
            )
        if inp.approved and not inp.document_no.strip():
            raise rejected(
                invalid("DOCUMENT_NO_REQUIRED", "批准须填写批准文号", "Approval needs the document number")
            )
        if not inp.approved and not inp.reason.strip():
            raise rejected(
                invalid("RETURN_REASON_REQUIRED", "退回须说明理由", "Returning the list needs a reason")
            )

    async def _start_award(self, c: CertificateIssued) -> None:
        assert self.approval is not None
        ref = self.applications[c.application_id]
        facts = AwardFacts(
            self.rules.year,
            c.award,
            c.application_id,
            self.enterprise_ids[c.application_id],
            c.enterprise_name,
            ref.credit_code,
            c.number,
            self.approval.document_no,
            workflow.now(),
            self.rules.aftercare(),
        )
        await workflow.start_child_workflow(
            AwardWorkflow.run,
            facts,
            id=c.workflow_id,
            parent_close_policy=ParentClosePolicy.ABANDON,
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SA_YEAR, self.rules.year),
                    SearchAttributePair(SA_AWARD, str(c.award)),
                    SearchAttributePair(SA_CREDIT_CODE, ref.credit_code),
                    SearchAttributePair(SA_STAGE, "AWARDED"),
                ]
            ),
            static_summary=f"{self.rules.year} {c.award.name_zh} · {c.enterprise_name} · {c.number}",
        )

    async def _refusable(self, call: Awaitable[T]) -> T:
        """An activity refused the step by a rule: fail the update with the same error, not the cycle."""
        try:
            return await call
        except ActivityError as e:
            if isinstance(e.cause, ApplicationError) and e.cause.non_retryable:
                raise e.cause from None
            raise

    @workflow.update
    async def wait_opened(self) -> CycleState:
        """Returns once the cycle is recorded and its call published (the API answers after this)."""
        await workflow.wait_condition(lambda: self.opened)
        return self.state()

    @workflow.query
    def state(self) -> CycleState:
        return CycleState(
            self.rules.year,
            self.stage,
            self.deadline,
            self.intake_open,
            self.waiting_for,
            list(self.applications.values()),
        )


async def start_cycle(
    client: Client, inp: StartCycleInput, *, task_queue: str, rpc_timeout: timedelta
) -> None:
    """Start the year's cycle with its id, search attributes and summary (one per year, R3.1)."""
    year = inp.rules.year
    await client.start_workflow(
        AwardCycleWorkflow.run,
        inp,
        id=cycle_workflow_id(year),
        task_queue=task_queue,
        # A cycle that failed or was terminated may be started again; a live one never twice.
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        search_attributes=TypedSearchAttributes(
            [SearchAttributePair(SA_YEAR, year), SearchAttributePair(SA_STAGE, str(CycleStage.CALL_OPEN))]
        ),
        static_summary=f"{year}年度鹿城区政府质量奖评审",
        static_details=f"{year}年度鹿城区政府质量奖（区政府质量奖、质量管理创新奖）评审周期",
        rpc_timeout=rpc_timeout,
    )


def _objection_digest(inp: ObjectionInput) -> str:
    """The same target and facts from the same person (or anonymously) count once."""
    text = "\x00".join(
        (inp.application_id, " ".join(inp.facts.split()), inp.contact.strip(), str(inp.anonymous))
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
