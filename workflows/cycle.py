"""AwardCycleWorkflow (`award-cycle-{year}`): the conductor of one year's award.

The cycle holds no per-application data (P5). Submissions and objections are stored by the API
and start their own workflows; each application records where it stands in PostgreSQL. The
cycle keeps a few flags and small results (`CycleState`) and waits at gates: it records the gate
it waits on, asks PostgreSQL how much still holds it, and is woken by the activity whose commit
moves the gate's last application (or objection) on. What it tells all applications at once it
tells through fan-out activities that signal them concurrently in bounded batches. So its
history has the same length for 20 applications or 10,000, whatever the public sends; at each
stage boundary it continues as new when Temporal suggests it, carrying its state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from temporalio import workflow
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from activities.committee import CommitteeActivities
    from activities.fanout import FanOutActivities
    from activities.review import ReviewActivities
    from config.constants import cycle_workflow_id
    from config.temporal import SA_AWARD, SA_CREDIT_CODE, SA_STAGE, SA_YEAR
    from contracts.award import AwardFacts
    from contracts.common import Actor, NoticeInput
    from contracts.cycle import (
        CertificateIssued,
        CloseBallotRequest,
        CloseRunoffRequest,
        ConveneInput,
        ConveneRunoffInput,
        CycleStageInput,
        CycleState,
        DeadlineExtendedInput,
        DrawOutcome,
        DrawPanelsInput,
        DrawRequest,
        ExtendDeadlineInput,
        FanOutInput,
        FinalList,
        FinalListInput,
        FixFinalListRequest,
        GateInput,
        GateStatus,
        GovernmentDecisionInput,
        IssueCertificatesRequest,
        MeetingOpened,
        OnsiteListFixed,
        OnsiteListInput,
        OnsiteListRequest,
        OpenMeetingRequest,
        OpenSeats,
        PublishPreliminaryRequest,
        PublishSupplementaryRequest,
        RecordApprovalInput,
        RecordCycleInput,
        StartCycleInput,
        SupplementaryInput,
        SupplementaryNotice,
        VacateSeatsInput,
        VacateSeatsRequest,
    )
    from domain import notices as texts
    from domain.calendar import cst_date, format_cst
    from domain.errors import DomainError, conflict, invalid
    from domain.final_list import check_pending_version, check_revision_shape
    from domain.intake import validate_extension
    from domain.progress import CYCLE_ORDER, Gate
    from domain.publicity import format_close
    from domain.review import ReviewPurpose
    from domain.rules import CycleRules
    from domain.runoff import check_vacancy_reason, seats_word, waiting_text
    from domain.supplementary import check_proposal_shape
    from domain.types import Award, CycleStage, NoticeKind
    from workflows.award import AwardWorkflow
    from workflows.common import InProgress, StepRetries, enforce, guarded, record, refusable, rejected

Stage = CycleStage


@workflow.defn
class AwardCycleWorkflow(StepRetries):
    @workflow.init
    def __init__(self, inp: StartCycleInput) -> None:
        self.rules: CycleRules = inp.rules
        self.started_by = inp.started_by
        self.s = inp.state or CycleState(inp.rules.year, inp.rules.application_deadline)
        self.busy = InProgress()

    # --- the process (Art. 14) ----------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: StartCycleInput) -> None:
        await self._step(Stage.CALL_OPEN, self._call_for_applications)  # 申报 (Art. 12, 13)
        await self._step(Stage.QUALIFICATION_REVIEW, self._qualification_review)  # 资格审查 (Art. 14(1))
        await self._step(Stage.DOCUMENT_REVIEW, self._document_review)  # 资料评审 (Art. 14(2))
        await self._step(Stage.ONSITE_SELECTION, self._onsite_selection)  # 现场评审名单 (R14.3)
        await self._step(Stage.ONSITE_REVIEW, self._onsite_review)  # 现场评审 (Art. 14(3))
        await self._step(Stage.AWAITING_COMMITTEE, self._convene)  # 评委会全体会议 (Art. 14(4))
        await self._step(Stage.BALLOT, self._secret_ballot)  # 无记名投票 (Art. 14(4))
        await self._step(Stage.RUNOFF, self._runoffs)  # 决选投票 of a tie at a cut-off (R14.6)
        await self._step(Stage.PUBLIC_NOTICE, self._public_notice)  # 初选公示 (Art. 14(5))
        await self._step(Stage.FINAL_LIST, self._final_list_and_approval)  # 审定批准 (Art. 14(6))
        await self._step(Stage.PUBLICATION, self._publication)  # 公布、颁证 (Art. 15)
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _step(self, stage: Stage, step: Callable[[], Awaitable[None]]) -> None:
        """Run a step unless an earlier run did (continue-as-new resumes after the last one done);
        after it, continue as new if Temporal suggests so."""
        done = self.s.step_done
        if done is not None and CYCLE_ORDER[stage] <= CYCLE_ORDER[done]:
            return
        await step()
        self.s.step_done = stage
        if workflow.info().is_continue_as_new_suggested():
            await workflow.wait_condition(workflow.all_handlers_finished)
            workflow.continue_as_new(StartCycleInput(self.rules, self.started_by, self.s))

    # --- the steps ----------------------------------------------------------------------------------
    async def _call_for_applications(self) -> None:
        """Record the cycle and publish the call; take applications until the (extendable) deadline."""
        year, now = self.rules.year, workflow.now()
        call = texts.call_for_applications(self.rules, now)
        await record(
            AwardActivities.record_cycle_started,
            RecordCycleInput(
                self.rules,
                workflow.info().workflow_id,
                self.started_by,
                now,
                [self._public(f"call-{year}", NoticeKind.CALL_FOR_APPLICATIONS, call)],
            ),
            "record the cycle and its frozen rules; publish the call",
        )
        self.s.opened = True
        while (remaining := self.s.deadline - workflow.now()) > timedelta(0):
            current = self.s.deadline
            self._wait(f"Call open (申报受理中): intake closes at {format_cst(current)} CST")
            try:
                await workflow.wait_condition(
                    lambda current=current: self.s.deadline != current,  # type: ignore[misc]
                    timeout=remaining,
                    timeout_summary="application deadline",
                )
            except TimeoutError:
                break

    async def _qualification_review(self) -> None:
        """Intake closes (under the cycle row's lock); every application learns the deadline its
        conditions are judged at; the cycle waits until the office has decided every one."""
        self.s.intake_open = False
        status = await self._enter(
            Stage.QUALIFICATION_REVIEW, "Qualification review (资格审查)", Gate.QUALIFICATION
        )
        await record(
            FanOutActivities.announce_intake_closed,
            FanOutInput(self.rules.year, workflow.now()),
            f"tell {status.total} applications that intake closed",
            fan_out=True,
        )
        await self._until_gate(Gate.QUALIFICATION)

    async def _document_review(self) -> None:
        """The office draws the panels (update draw_panels); each application's panel reports."""
        await self._enter(
            Stage.DOCUMENT_REVIEW,
            "Document review (资料评审): the office draws the panels",
            Gate.DOCUMENT_REVIEW,
        )
        await self._until_gate(Gate.DOCUMENT_REVIEW)

    async def _onsite_selection(self) -> None:
        await self._enter(
            Stage.ONSITE_SELECTION, "Waiting for the office to fix the on-site list (现场评审名单)"
        )
        await workflow.wait_condition(lambda: self.s.onsite_fixed)
        await record(
            FanOutActivities.announce_onsite_list,
            FanOutInput(self.rules.year, workflow.now()),
            "tell every application reviewed on paper whether it is listed",
            fan_out=True,
        )

    async def _onsite_review(self) -> None:
        """The office draws the on-site panels with visit dates; reports are confirmed or settled."""
        await self._enter(
            Stage.ONSITE_REVIEW, "On-site review (现场评审): the office draws the panels", Gate.ONSITE_REVIEW
        )
        await self._until_gate(Gate.ONSITE_REVIEW)

    async def _convene(self) -> None:
        """The office convenes the plenary (update convene_meeting) and presents its work report."""
        await self._enter(
            Stage.AWAITING_COMMITTEE, "On-site review finished; waiting for the plenary (审查表决)"
        )
        await workflow.wait_condition(lambda: self.s.meeting is not None)

    async def _secret_ballot(self) -> None:
        """Members vote through the API, which tells the cycle only that a ballot was cast. The
        ballot closes when everyone present has voted or the office closes it."""
        meeting = self.s.meeting
        assert meeting is not None
        await self._enter(Stage.BALLOT, "Plenary secret ballot (无记名投票)")
        await self._until_voted(meeting, "Plenary secret ballot (无记名投票)", counted=0)
        self.s.preliminary = await record(
            CommitteeActivities.close_ballot,
            CloseBallotRequest(self.rules.year, meeting.meeting_id, self.rules, workflow.now()),
            "tally the ballot and derive the preliminary list",
        )

    async def _until_voted(self, meeting: MeetingOpened, what: str, *, counted: int) -> None:
        """Until every member present has voted or the office closes the ballot. `counted`: the
        ballots signalled when last counted, so one signalled during a count is not lost (-1: count
        once at the start)."""
        while not self.s.ballot_close_requested:
            self._wait(f"{what}: {self.s.ballots_cast} of {meeting.present} members present have voted")
            await workflow.wait_condition(
                lambda counted=counted: (
                    self.s.ballots_signalled != counted  # type: ignore[misc]
                    or self.s.ballot_close_requested
                )
            )
            counted = self.s.ballots_signalled
            status = await record(CommitteeActivities.ballot_status, meeting.meeting_id, "count ballots cast")
            self.s.ballots_cast = status.voted
            if status.voted >= status.present:
                break

    async def _runoffs(self) -> None:
        """Seats that a tie across an award's cut-off left open are filled by run-off ballots among
        the tied candidates (the same secret ballot, quorum and pass mark), or left vacant by the
        committee (宁缺毋滥), before the list is published (Art. 14(4), R14.6). Without a tie this
        step issues no command, so the histories of cycles without one replay unchanged."""
        while (pre := self.s.preliminary) is not None and pre.open_seats:
            if self.s.runoff is None:
                group, seen = pre.open_seats[0], self.s.vacancies
                await self._enter(
                    Stage.RUNOFF,
                    waiting_text(
                        group.award, len(group.application_ids), group.seats, more=len(pre.open_seats) - 1
                    ),
                )
                await workflow.wait_condition(
                    lambda seen=seen: self.s.runoff is not None or self.s.vacancies != seen  # type: ignore[misc]
                )
            meeting = self.s.runoff
            if meeting is None:
                continue  # the committee left the seats vacant: the next open seats, if any
            group, pre = self._open_group(meeting.award), self.s.preliminary
            what = (
                f"Run-off ballot {meeting.meeting_id} (决选投票) among {len(meeting.candidates)} tied "
                f"candidates for {seats_word(meeting.seats)} of {group.award.value} ({group.award.name_zh})"
            )
            await self._enter(Stage.RUNOFF, what)
            await self._until_voted(meeting, what, counted=-1)
            assert pre is not None  # nothing changes it while the run-off is open (_check_vacancy)
            self.s.preliminary = await record(
                CommitteeActivities.close_runoff,
                CloseRunoffRequest(
                    self.rules.year, meeting.meeting_id, self.rules, workflow.now(), pre, group
                ),
                "tally the run-off and complete the preliminary list",
            )
            self.s.runoff = None

    def _open_group(self, award: Award | None) -> OpenSeats:
        """The open seats of `award` (of the only award with open seats when None)."""
        pre = self.s.preliminary
        groups = pre.open_seats if pre is not None else []
        if award is None and len(groups) > 1:
            raise rejected(
                invalid(
                    "RUNOFF_AWARD_REQUIRED",
                    "两个奖项均有并列待决的名额，请指明奖项",
                    "Both awards have open seats: name the award",
                )
            )
        found = next((g for g in groups if award is None or g.award is award), None)
        if found is None:
            raise rejected(
                conflict(
                    "RUNOFF_NOT_OPEN",
                    "当前没有因并列而待决的名额",
                    "No seats are open for a run-off now",
                )
            )
        return found

    async def _public_notice(self) -> None:
        """7 days by the Civil Code; objections are stored by the API and investigated by their own
        workflows; after the close the cycle waits for every investigation report (R14.7)."""
        assert self.s.preliminary is not None
        self.s.window = window = await record(
            CommitteeActivities.publish_preliminary,
            PublishPreliminaryRequest(self.rules.year, self.s.preliminary, self.rules, workflow.now()),
            "publish the preliminary list (objections are taken from here on)",
        )
        await self._notice_then_investigations(
            Stage.PUBLIC_NOTICE,
            window.closes_at,
            "Public notice (初选公示)",
            "7-day public notice",
            self._close_public_notice,
        )

    async def _close_public_notice(self) -> None:
        self.s.window_closed = True
        await record(CommitteeActivities.close_notice, self.rules.year, "close the public notice")

    async def _notice_then_investigations(
        self,
        stage: Stage,
        closes_at: datetime,
        what: str,
        timer: str,
        close: Callable[[], Awaitable[None]],
    ) -> None:
        """A notice's window (objections are stored by the API meanwhile), its close, then every
        objection under investigation has its workflow and the cycle waits for every report (R14.7).
        The preliminary list's notice and each supplementary notice (补充公示) run through here."""
        await self._enter(stage, f"{what} until {format_close(closes_at)} CST")
        remaining = closes_at - workflow.now()
        if remaining > timedelta(0):
            await workflow.sleep(remaining, summary=timer)
        await close()
        await record(
            FanOutActivities.start_investigations,
            FanOutInput(self.rules.year, workflow.now()),
            "every objection under investigation has its workflow",
            fan_out=True,
        )
        await self._enter(
            stage,
            "Notice closed; waiting for the investigation reports (调查报告)",
            Gate.INVESTIGATIONS,
        )
        await self._until_gate(Gate.INVESTIGATIONS)

    async def _final_list_and_approval(self) -> None:
        """The committee fixes the list, the government approves it or returns it with reasons.
        Each slot is emptied *before* its stage is entered: a list or decision given while the
        stage is being recorded is neither refused as "already given" nor wiped afterwards."""
        while True:
            self.s.final = None
            back = f" (returned by the government: {self.s.returns[-1]})" if self.s.returns else ""
            sup = self.s.supplementary
            if sup is not None and sup.answers_version == len(self.s.returns):
                back += f"; supplementary notice {sup.notice_id} (补充公示) closed and investigated"
            await self._enter(
                Stage.FINAL_LIST, f"Waiting for the committee to fix the proposed list (拟授奖名单){back}"
            )
            # after a return the committee may first propose a supplementary notice (update
            # propose_supplementary); without one this waits, as it always did, for the list
            await workflow.wait_condition(lambda: self.s.final is not None or self.s.supplementary_pending)
            if self.s.final is None:
                await self._supplementary_notice()
                continue
            self.s.approval = None
            await self._enter(
                Stage.GOVERNMENT_APPROVAL, "Waiting for the district government's approval (区政府审定批准)"
            )
            await workflow.wait_condition(lambda: self.s.approval is not None)
            assert self.s.approval is not None
            if self.s.approval.approved:
                return

    async def _supplementary_notice(self) -> None:
        """补充公示: the candidates the committee proposed after a return are noticed for 7 days of
        their own (counted like the preliminary list's); objections against them only are taken
        meanwhile and investigated; then the committee fixes the next version (R14.7, R14.8)."""
        sup = self.s.supplementary
        assert sup is not None
        # Only a cycle whose committee proposed one gets here (no earlier history holds the update
        # that opens this path); the marker tells a later change which cycles took it.
        workflow.patched("supplementary-notice")

        async def close() -> None:
            await record(
                CommitteeActivities.close_supplementary, sup.notice_id, "close the supplementary notice"
            )

        await self._notice_then_investigations(
            Stage.SUPPLEMENTARY_NOTICE,
            sup.closes_at,
            f"Supplementary notice {sup.notice_id} (补充公示) of {len(sup.candidates)} candidate(s)",
            "7-day supplementary notice",
            close,
        )
        self.s.supplementary_pending = False

    async def _publication(self) -> None:
        """The announcement, each winner's certificate and award workflow, every candidate's result."""
        final, approval = self.s.final, self.s.approval
        assert final is not None and approval is not None
        year, now = self.rules.year, workflow.now()
        await self._enter(
            Stage.PUBLICATION, "Approved; publication, certificates and results (公布、颁证)", Gate.RESULTS
        )
        announcement = texts.award_announcement(year, final.winners, approval.document_no, now)
        issued = await record(
            CommitteeActivities.issue_certificates,
            IssueCertificatesRequest(
                year,
                final.winners,
                approval.document_no,
                now,
                [self._public(f"announcement-{year}", NoticeKind.AWARD_ANNOUNCEMENT, announcement)],
            ),
            "publish the announcement and issue the certificates",
        )
        self.s.certificates = len(issued)
        for c in issued:
            await self._start_award(c, approval.document_no)
        await record(
            FanOutActivities.announce_results,
            FanOutInput(year, workflow.now()),
            "tell every candidate its result",
            fan_out=True,
        )
        await self._until_gate(Gate.RESULTS)
        await self._enter(Stage.COMPLETED, f"Completed: {len(issued)} certificates issued")

    # --- gates, stages, notices --------------------------------------------------------------------
    async def _enter(self, stage: Stage, waiting: str, gate: Gate | None = None) -> GateStatus:
        """Record the stage, what the cycle waits for and the gate it waits on (reads come from
        PostgreSQL); answers how much still holds the gate."""
        if stage is not self.s.stage:
            self.s.stage = stage
            workflow.upsert_search_attributes([SA_STAGE.value_set(stage)])
        self._wait(waiting)
        return await record(
            AwardActivities.record_cycle_stage,
            CycleStageInput(
                self.rules.year, stage, self.s.deadline, workflow.now(), waiting, gate, self.s.intake_open
            ),
            f"cycle stage {stage}" + (f", gate {gate}" if gate else ""),
        )

    async def _gate_status(self, gate: Gate) -> GateStatus:
        return await record(
            AwardActivities.gate_status, GateInput(self.rules.year, gate), f"how much still holds gate {gate}"
        )

    async def _until_gate(self, gate: Gate) -> None:
        """Wait until nothing holds the gate. Woken by the activity whose commit moved the last
        application on; each wake-up is checked against PostgreSQL. The wake-ups are counted
        before each check, so one that comes during a check is not lost."""
        stage = self.s.waiting_for
        seen = self.s.pokes
        while (status := await self._gate_status(gate)).pending > 0:
            self._wait(f"{stage} — {gate.outstanding(status.pending, status.total)}")
            await workflow.wait_condition(lambda seen=seen: self.s.pokes != seen)  # type: ignore[misc]
            seen = self.s.pokes

    def _wait(self, text: str) -> None:
        self.s.waiting_for = text
        workflow.set_current_details(text)

    def _public(self, key: str, kind: NoticeKind, text: texts.NoticeText) -> NoticeInput:
        return NoticeInput.public(key, kind, text, workflow.now(), self.rules.year)

    async def _start_award(self, c: CertificateIssued, document_no: str) -> None:
        facts = AwardFacts(
            self.rules.year,
            c.award,
            c.application_id,
            c.enterprise_id,
            c.enterprise_name,
            c.credit_code,
            c.number,
            document_no,
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
                    SearchAttributePair(SA_CREDIT_CODE, c.credit_code),
                    SearchAttributePair(SA_STAGE, "AWARDED"),
                ]
            ),
            static_summary=f"{self.rules.year} {c.award.name_zh} · {c.enterprise_name} · {c.number}",
        )

    # --- signals --------------------------------------------------------------------------------------
    @workflow.signal
    def gate_reached(self) -> None:
        """An activity's commit left nothing holding the gate the cycle waits on: check it."""
        self.s.pokes += 1

    @workflow.signal
    def ballot_cast(self) -> None:
        """A ballot was stored by the API. Deliberately carries nothing: no voter, no vote."""
        self.s.ballots_signalled += 1

    # --- intake: deadline extension (update) ----------------------------------------------------------
    @workflow.update
    async def extend_deadline(self, inp: ExtendDeadlineInput) -> datetime:
        old = self.s.deadline
        self.s.deadline = inp.new_deadline
        now = workflow.now()
        info = workflow.current_update_info()
        text = texts.deadline_extended(self.rules.year, old, inp.new_deadline, inp.reason, now)
        notice = self._public(
            f"deadline-extended-{self.rules.year}-{inp.new_deadline.isoformat()}",
            NoticeKind.DEADLINE_EXTENDED,
            text,
        )
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
                notices=[notice],
            ),
            "record the deadline extension and publish it",
        )
        return self.s.deadline

    @extend_deadline.validator
    def _validate_extension(self, inp: ExtendDeadlineInput) -> None:
        enforce(
            lambda: validate_extension(
                now=workflow.now(),
                current=self.s.deadline,
                new_deadline=inp.new_deadline,
                intake_open=self.s.intake_open,
                reason=inp.reason,
            )
        )

    # --- expert panels and the on-site list (updates) ------------------------------------------------
    @workflow.update
    async def draw_panels(self, inp: DrawPanelsInput) -> DrawOutcome:
        """Draw the panels of every application that waits for one (R9.1, R20.1): seeded here,
        recorded with the inputs' hash by the activity, re-runnable by anyone; then each
        application is told its panel."""
        with self.busy.running("draw_panels", self._draw_purpose) as purpose:
            self.s.draws += 1
            seed = workflow.random().getrandbits(62)
            draw_id = f"{self.rules.year}-{purpose}-{self.s.draws}"
            outcome = await refusable(
                record(
                    ReviewActivities.draw_review_panels,
                    DrawRequest(
                        self.rules.year,
                        purpose,
                        draw_id,
                        seed,
                        self.rules,
                        inp.actor,
                        workflow.now(),
                        visits=dict(inp.visits),
                        exclude_members_of=None
                        if purpose is ReviewPurpose.DOCUMENT or self.rules.onsite_reuse_members
                        else ReviewPurpose.DOCUMENT,
                    ),
                    f"draw {purpose.value.lower()} panels",
                )
            )
            if outcome.seated:
                await record(
                    FanOutActivities.announce_panels,
                    draw_id,
                    f"tell {outcome.seated} applications their panel",
                    fan_out=True,
                )
            return outcome

    @draw_panels.validator
    def _validate_draw(self, inp: DrawPanelsInput) -> None:
        self.busy.refuse_if_running("draw_panels")
        purpose = self._draw_purpose()
        if purpose is ReviewPurpose.ONSITE and any(d < cst_date(workflow.now()) for d in inp.visits.values()):
            raise rejected(
                invalid("VISIT_DATE_PAST", "现场评审日期不能早于今天", "A visit date is in the past")
            )

    def _draw_purpose(self) -> ReviewPurpose:
        if self.s.stage is Stage.DOCUMENT_REVIEW:
            return ReviewPurpose.DOCUMENT
        if self.s.stage is Stage.ONSITE_REVIEW:
            return ReviewPurpose.ONSITE
        raise rejected(
            conflict(
                "DRAW_NOT_OPEN", "当前阶段不能抽取评审组", f"No panel can be drawn in stage {self.s.stage}"
            )
        )

    @workflow.update
    async def fix_onsite_list(self, inp: OnsiteListInput) -> OnsiteListFixed:
        """The office fixes the on-site list from the document review opinions (R14.3); the activity
        checks it against the recorded scores and moves the listed applications on."""
        with self.busy.running("fix_onsite_list", self._check_onsite_open):
            fixed = await refusable(
                record(
                    ReviewActivities.fix_onsite_list,
                    OnsiteListRequest(
                        self.rules.year,
                        sorted(inp.application_ids),
                        inp.note,
                        str(Decimal(self.rules.onsite_threshold)),
                        inp.actor,
                        workflow.now(),
                    ),
                    "record the on-site list",
                )
            )
            self.s.onsite_fixed = True
            return fixed

    @fix_onsite_list.validator
    def _validate_onsite_list(self, inp: OnsiteListInput) -> None:
        self.busy.guard("fix_onsite_list", self._check_onsite_open)

    def _check_onsite_open(self) -> None:
        if self.s.stage is not Stage.ONSITE_SELECTION or self.s.onsite_fixed:
            raise rejected(
                conflict(
                    "ONSITE_LIST_NOT_OPEN", "当前不能确定现场评审名单", "The on-site list cannot be fixed now"
                )
            )

    # --- the plenary and its secret ballot (updates) -------------------------------------------------
    @workflow.update
    async def convene_meeting(self, inp: ConveneInput) -> MeetingOpened:
        """The office convenes the plenary with the members present; the work report is presented and
        each member present may cast one ballot (through the API, not through this workflow)."""
        with self.busy.running("convene_meeting", lambda: self._check_convene(inp)):
            self.s.meeting = await refusable(
                record(
                    CommitteeActivities.open_meeting,
                    OpenMeetingRequest(
                        self.rules.year,
                        f"{self.rules.year}-plenary-1",
                        sorted(set(inp.attendees)),
                        self.rules,
                        inp.actor,
                        workflow.now(),
                    ),
                    "convene the plenary and issue ballots",
                )
            )
            return self.s.meeting

    def _check_convene(self, inp: ConveneInput) -> None:
        if self.s.stage is not Stage.AWAITING_COMMITTEE or self.s.meeting is not None:
            raise rejected(
                conflict("MEETING_NOT_OPEN", "当前不能召开审查表决会议", "The plenary cannot be convened now")
            )
        self._check_attendance(inp.attendees)

    _validate_convene = convene_meeting.validator(guarded(_check_convene, "convene_meeting"))

    @staticmethod
    def _check_attendance(attendees: list[str]) -> None:
        """A plenary or a run-off is convened with the members present."""
        if not attendees:
            raise rejected(
                invalid("ATTENDANCE_REQUIRED", "请登记出席会议的评委会成员", "Record the members present")
            )

    @workflow.update
    def close_ballot(self, inp: Actor) -> int:
        """The office closes the ballot (the plenary's or a run-off's) before everyone present has
        voted (absent marks count as not approving)."""
        if not (self.s.stage is Stage.BALLOT or (self.s.stage is Stage.RUNOFF and self.s.runoff is not None)):
            raise rejected(conflict("BALLOT_NOT_OPEN", "当前没有进行中的投票", "No ballot is open"))
        self.s.ballot_close_requested = True
        return self.s.ballots_cast

    # --- the run-off of a tie at a cut-off, or seats left vacant (updates) ---------------------------
    @workflow.update
    async def convene_runoff(self, inp: ConveneRunoffInput) -> MeetingOpened:
        """The office convenes a run-off among the candidates tied for an award's open seats, with
        the members present (quorum against the roster); each may cast one sealed ballot through the
        API, like the plenary's (R14.6)."""
        with self.busy.running("runoff", lambda: self._check_runoff(inp)) as group:
            n = self.s.runoffs + 1
            opened = await refusable(
                record(
                    CommitteeActivities.open_meeting,
                    OpenMeetingRequest(
                        self.rules.year,
                        f"{self.rules.year}-runoff-{n}",
                        sorted(set(inp.attendees)),
                        self.rules,
                        inp.actor,
                        workflow.now(),
                        runoff=group,
                    ),
                    f"convene run-off {n} and issue ballots",
                )
            )
            self.s.runoffs = n
            self.s.ballots_cast, self.s.ballot_close_requested = 0, False
            self.s.runoff = opened
            return opened

    def _check_runoff(self, inp: ConveneRunoffInput) -> OpenSeats:
        return self._seats_to_settle(
            inp.award,
            conflict("RUNOFF_NOT_OPEN", "当前不能召开决选投票会议", "A run-off cannot be convened now"),
            lambda: self._check_attendance(inp.attendees),
        )

    _validate_convene_runoff = convene_runoff.validator(guarded(_check_runoff, "runoff"))

    @workflow.update
    async def leave_seats_vacant(self, inp: VacateSeatsInput) -> int:
        """The committee leaves an award's open seats vacant instead of (another) run-off (宁缺毋滥,
        Art. 3: "不超过"), with its reasons; answers the seats left vacant."""
        with self.busy.running("runoff", lambda: self._check_vacancy(inp)) as group:
            pre = self.s.preliminary
            assert pre is not None
            self.s.preliminary = await refusable(
                record(
                    CommitteeActivities.vacate_seats,
                    VacateSeatsRequest(
                        self.rules.year, pre, group, inp.reason.strip(), inp.actor, workflow.now()
                    ),
                    f"leave {group.seats} {group.award.value} seat(s) vacant",
                )
            )
            self.s.vacancies += 1
            return group.seats

    def _check_vacancy(self, inp: VacateSeatsInput) -> OpenSeats:
        return self._seats_to_settle(
            inp.award,
            conflict(
                "VACANCY_NOT_OPEN",
                "当前没有因并列而待决的名额（决选投票进行中时不能决定空缺）",
                "No open seats can be left vacant now (not while a run-off ballot is open)",
            ),
            lambda: check_vacancy_reason(inp.reason),
        )

    _validate_vacancy = leave_seats_vacant.validator(guarded(_check_vacancy, "runoff"))

    def _seats_to_settle(
        self, award: Award | None, not_open: DomainError, check: Callable[[], object]
    ) -> OpenSeats:
        """The open seats a run-off or a vacancy settles: only in the run-off stage with no run-off
        ballot open (else `not_open`), after the step's own `check`."""
        if self.s.stage is not Stage.RUNOFF or self.s.runoff is not None:
            raise rejected(not_open)
        enforce(check)
        return self._open_group(award)

    # --- the final list and the government's approval (updates) --------------------------------------
    @workflow.update
    async def fix_final_list(self, inp: FinalListInput) -> FinalList:
        """The committee fixes the list proposed to the government (R14.8)."""
        with self.busy.running("fix_final_list", lambda: self._check_final(inp)):
            # The activity refuses the list while a substantiated finding about a listed candidate
            # waits for the committee's decision, or a revision the lists do not allow (R14.7, R14.8).
            final = await refusable(
                record(
                    CommitteeActivities.fix_final_list,
                    FixFinalListRequest(
                        self.rules.year,
                        inp.actor,
                        workflow.now(),
                        inp.note,
                        version=len(self.s.returns) + 1,
                        remove=dict(inp.remove),
                        reinstate=dict(inp.reinstate),
                    ),
                    "fix the list proposed to the government",
                )
            )
            self.s.final = final
            return final

    def _check_final(self, inp: FinalListInput) -> None:
        if self.s.supplementary_pending:
            raise rejected(
                conflict(
                    "SUPPLEMENTARY_NOTICE_RUNNING",
                    "补充公示及其异议调查尚未结束，不能确定拟授奖名单",
                    "The supplementary notice and its investigations are not finished; the list "
                    "cannot be fixed yet",
                )
            )
        if self.s.stage is not Stage.FINAL_LIST or self.s.final is not None:
            raise rejected(
                conflict(
                    "FINAL_LIST_NOT_OPEN", "当前不能确定拟授奖名单", "The final list cannot be fixed now"
                )
            )
        enforce(lambda: check_revision_shape(inp.remove, inp.reinstate, answers_return=bool(self.s.returns)))

    _validate_final = fix_final_list.validator(guarded(_check_final, "fix_final_list", "supplementary"))

    @workflow.update
    async def propose_supplementary(self, inp: SupplementaryInput) -> SupplementaryNotice:
        """After a return, the committee (chair or vice-chair) proposes candidates of the plenary who
        were not on the published list; the activity checks them (ballot, score, quota) and publishes
        their 7-day supplementary notice (补充公示), which the cycle then runs (Art. 14(5), 14(6))."""
        with self.busy.running("supplementary", lambda: self._check_supplementary(inp)):
            seq = (self.s.supplementary.seq if self.s.supplementary else 0) + 1
            notice = await refusable(
                record(
                    CommitteeActivities.publish_supplementary,
                    PublishSupplementaryRequest(
                        self.rules.year,
                        seq,
                        len(self.s.returns),
                        dict(inp.add),
                        dict(inp.make_room),
                        inp.note,
                        self.rules,
                        inp.actor,
                        workflow.now(),
                    ),
                    f"check and publish supplementary notice {seq}",
                )
            )
            self.s.supplementary, self.s.supplementary_pending = notice, True
            return notice

    def _check_supplementary(self, inp: SupplementaryInput) -> None:
        returned, sup = len(self.s.returns), self.s.supplementary
        if (
            self.s.stage is not Stage.FINAL_LIST
            or self.s.final is not None
            or not returned
            or self.s.supplementary_pending
            or (sup is not None and sup.answers_version == returned)
        ):
            raise rejected(
                conflict(
                    "SUPPLEMENTARY_NOTICE_NOT_OPEN",
                    "只有区政府退回拟授奖名单后、重新确定名单前，方可提请补充公示（每次退回一次）",
                    "A supplementary notice is proposed only after the government returned the list "
                    "and before the next version is fixed (once per return)",
                )
            )
        enforce(lambda: check_proposal_shape(inp.add, inp.make_room))

    _validate_supplementary = propose_supplementary.validator(
        guarded(_check_supplementary, "supplementary", "fix_final_list")
    )

    @workflow.update
    async def government_decision(self, inp: GovernmentDecisionInput) -> str:
        with self.busy.running("government_decision", lambda: self._check_decision(inp)):
            await record(
                CommitteeActivities.record_approval,
                RecordApprovalInput(
                    self.rules.year, inp, workflow.now(), version=self.s.final.version if self.s.final else 0
                ),
                "record the government's decision",
            )
            if not inp.approved:
                self.s.returns.append(inp.reason)
            self.s.approval = inp
            return "APPROVED" if inp.approved else "RETURNED"

    def _check_decision(self, inp: GovernmentDecisionInput) -> None:
        if self.s.stage is not Stage.GOVERNMENT_APPROVAL or self.s.approval is not None:
            raise rejected(
                conflict("APPROVAL_NOT_OPEN", "当前没有待审批的拟授奖名单", "No list is waiting for approval")
            )
        # the decision names the version it was taken on: a stale one is refused (R14.8)
        enforce(lambda: check_pending_version(self.s.final.version if self.s.final else 0, inp.version))
        if inp.approved and not inp.document_no.strip():
            raise rejected(
                invalid("DOCUMENT_NO_REQUIRED", "批准须填写批准文号", "Approval needs the document number")
            )
        if not inp.approved and not inp.reason.strip():
            raise rejected(
                invalid("RETURN_REASON_REQUIRED", "退回须说明理由", "Returning the list needs a reason")
            )

    _validate_decision = government_decision.validator(guarded(_check_decision, "government_decision"))

    # --- reads ------------------------------------------------------------------------------------------
    @workflow.update
    async def wait_opened(self) -> CycleState:
        """Returns once the cycle is recorded and its call published (the API answers after this)."""
        await workflow.wait_condition(lambda: self.s.opened)
        return self.s

    @workflow.query
    def state(self) -> CycleState:
        return self.s


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
