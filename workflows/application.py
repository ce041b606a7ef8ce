"""ApplicationWorkflow (`application-{year}-{n}`): one enterprise's way through the procedure.

Started by the API when the enterprise submits (the submission is stored first). Every step
records where the application stands in PostgreSQL together with the notices it sends, in one
activity: reads never ask this workflow, and the cycle learns nothing from it but what its gates
count there. A human step (an update) records its consequences itself — the decision with the
letter and the next stage — so the workflow's own course only covers what no person does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import partial

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from activities.review import LISTED_WAITING, ReviewActivities
    from config.temporal import SA_OUTCOME, SA_STAGE
    from contracts.application import (
        ApplicationInput,
        ApplicationResult,
        ApplicationState,
        ApplicationView,
        ConfirmationInput,
        DecideQualificationInput,
        ExpertScoreInput,
        FinalResult,
        IntakeClosed,
        OnsiteDecision,
        PanelAssignment,
        PanelOpinionInput,
        PanelReview,
        PanelSeat,
        Progress,
        QualificationChecksInput,
        RecordConfirmationInput,
        RecordDecisionInput,
        RecordOpinionInput,
        RecordScoreInput,
        ReplaceExpertInput,
        ReplacementRequest,
        SettlementInput,
    )
    from contracts.common import SYSTEM, NoticeInput
    from domain import notices as texts
    from domain.calendar import due_after, format_cst, period_end_from
    from domain.errors import conflict, invalid
    from domain.progress import rank, waiting_for_decision
    from domain.qualification import QualificationResult, already_decided, not_ready, resolve_qualification
    from domain.review import (
        ItemComment,
        ReviewPurpose,
        check_expert_score,
        check_item_comments,
        check_onsite_report,
        check_panel_opinion,
    )
    from domain.rubric import load_rubric, score_sheet, validate_scores
    from domain.types import ApplicationStage, Audience, NoticeKind, Outcome
    from workflows.common import (
        InProgress,
        StepRetries,
        award_names,
        enforce,
        guarded,
        record,
        rejected,
        wait_with_deadline,
    )

Stage = ApplicationStage


# A decision sent while the automatic checks are being recorded waits this long for them (R14.1).
CHECKS_CATCH_UP = timedelta(seconds=10)


@workflow.defn
class ApplicationWorkflow(StepRetries):
    @workflow.init
    def __init__(self, inp: ApplicationInput) -> None:
        self.inp = inp
        self.rules = inp.rules
        self.s = ApplicationState()
        self.busy = InProgress()
        self.rubric = load_rubric(inp.rules.criteria_edition)

    # --- the process (Art. 14) ----------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: ApplicationInput) -> ApplicationResult:
        await self._intake_closes()  # 申报截止 (Art. 12)
        await self._qualification_review()  # 资格审查 (Art. 14(1))
        if self.s.outcome is Outcome.NOT_QUALIFIED:
            return await self._ended()
        await self._document_review()  # 资料评审 (Art. 14(2))
        await self._onsite_listing()  # 现场评审名单 (R14.3)
        if self.s.outcome is Outcome.NOT_SHORTLISTED:
            return await self._ended()
        await self._onsite_review()  # 现场评审 (Art. 14(3))
        await self._committee_result()  # 审查表决 … 审定批准 (Art. 14(4)-(6))
        return await self._ended()

    # --- the steps ----------------------------------------------------------------------------------
    async def _intake_closes(self) -> None:
        workflow.set_current_details(self.s.waiting_for)
        await workflow.wait_condition(lambda: self.s.deadline is not None)

    async def _qualification_review(self) -> None:
        """Automatic checks of every condition as of the deadline, then the office's decision
        (update decide_qualification), reminded before it is due and escalated after (R14.1)."""
        assert self.s.deadline is not None
        due = self.s.decision_due = period_end_from(
            self.s.deadline, days=self.rules.qualification_review_days, calendar=self.rules.holiday_calendar
        )
        self._moved(Stage.QUALIFICATION_DECISION, Outcome.PENDING)
        self.s.checks = await record(
            AwardActivities.run_qualification_checks,
            QualificationChecksInput(
                self.inp.application_id, self.s.deadline, self.rules.district, workflow.now(), due
            ),
            "Art. 11 / Art. 17 eligibility checks",
        )
        self._wait(waiting_for_decision(sum(c.status == "NEEDS_JUDGEMENT" for c in self.s.checks), due))
        await wait_with_deadline(
            lambda: self.s.decided,
            due=lambda: due,
            remind_before=self.rules.qualification_reminder_before,
            marks=self.s.decision_marks,
            remind=self._remind_decision,
            escalate=self._decision_overdue,
            what="qualification decision",
        )

    async def _document_review(self) -> None:
        """The drawn panel scores independently, reminded and escalated; the leader consolidates."""
        review = await self._panel(ReviewPurpose.DOCUMENT)
        await self._advance(
            Stage.DOCUMENT_REVIEW,
            self._scores_text(review),
            due=review.due,
            notices=[self._assignment(review, seat) for seat in review.members],
        )
        await wait_with_deadline(
            review.all_scored,
            due=lambda: review.due,
            remind_before=self.rules.review_reminder_before,
            marks=review.marks,
            remind=lambda due: self._remind_experts(review, due),
            escalate=lambda due: self._scores_overdue(review, due),
            watch=lambda: (review.version, len(review.scores)),
            what="document review",
        )
        self._wait(f"Waiting for the leader's consolidated opinion (组长意见), {review.purpose.name_zh}")
        await workflow.wait_condition(lambda: review.opinion_total is not None)

    async def _onsite_listing(self) -> None:
        """The office fixes the on-site list; an application left out gets the panel's opinion (R14.4)."""
        await workflow.wait_condition(lambda: self.s.onsite_decision is not None)
        decision = self.s.onsite_decision
        assert decision is not None
        if decision.listed:  # recorded with the list; only the operators' view moves here
            self._moved(Stage.AWAITING_ONSITE, Outcome.SHORTLISTED, LISTED_WAITING)
            return
        review = self.s.reviews[ReviewPurpose.DOCUMENT]
        text = texts.document_review_feedback(
            **award_names(self.inp),
            total=review.opinion_total or "",
            opinion=review.opinion_text,
            note=decision.note,
            issued_at=workflow.now(),
        )
        await self._advance(
            Stage.NOT_SHORTLISTED,
            "Ended: not listed for on-site review, feedback with the panel opinion delivered",
            outcome=Outcome.NOT_SHORTLISTED,
            notices=[self._to_enterprise("document-feedback", NoticeKind.DOCUMENT_REVIEW_FEEDBACK, text)],
        )

    async def _onsite_review(self) -> None:
        """The visit, the leader's on-site report, and the enterprise's confirmation: silence past the
        due time counts as confirmation (视为无异议) after a reminder; a dispute waits for the office."""
        review = await self._panel(ReviewPurpose.ONSITE)
        visit = texts.onsite_notice(
            **award_names(self.inp),
            visit=str(review.visit_date),
            issued_at=workflow.now(),
        )
        await self._advance(
            Stage.ONSITE_REVIEW,
            f"Waiting for the on-site report (现场评审报告) of the panel leader, visit {review.visit_date}",
            notices=[self._assignment(review, seat) for seat in review.members]
            + [self._to_enterprise("onsite-notice", NoticeKind.ONSITE_NOTICE, visit)],
        )
        await workflow.wait_condition(
            lambda: review.opinion_total is not None and self.s.confirmation_due is not None
        )
        await wait_with_deadline(
            lambda: self.s.confirmation is not None,
            due=lambda: self.s.confirmation_due or workflow.now(),
            remind_before=self.rules.onsite_reminder_before,
            marks=self.s.confirmation_marks,
            remind=self._remind_confirmation,
            escalate=self._deem_confirmed,
            what="confirmation",
        )
        await workflow.wait_condition(lambda: self.s.confirmation_recorded)
        assert self.s.confirmation is not None
        if not self.s.confirmation.confirmed:
            await workflow.wait_condition(lambda: self.s.settled)

    async def _committee_result(self) -> None:
        """审查表决, 初选公示 and 审定批准 are steps of the cycle; it tells each candidate its result."""
        await workflow.wait_condition(lambda: self.s.final is not None)
        final = self.s.final
        assert final is not None
        text = texts.award_result(
            **award_names(self.inp),
            awarded=final.awarded,
            reason=final.reason,
            number=final.certificate_number,
            issued_at=workflow.now(),
        )
        await self._advance(
            Stage.AWARDED if final.awarded else Stage.NOT_AWARDED,
            f"Ended: awarded, certificate {final.certificate_number}"
            if final.awarded
            else f"Ended: not awarded ({final.reason})",
            outcome=Outcome.AWARDED if final.awarded else Outcome.NOT_AWARDED,
            notices=[self._to_enterprise("award-result", NoticeKind.AWARD_RESULT, text)],
        )

    async def _ended(self) -> ApplicationResult:
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ApplicationResult(self.inp.application_id, self.s.outcome, self.s.stage)

    # --- due times: reminders and escalations ----------------------------------------------------------
    async def _remind_decision(self, due: datetime) -> None:
        await self._tell_office_of_decision(due, NoticeKind.QUALIFICATION_REMINDER, self.s.waiting_for)

    async def _decision_overdue(self, due: datetime) -> bool:
        waiting = f"Qualification decision OVERDUE since {format_cst(due)} CST; the office was told"
        await self._tell_office_of_decision(due, NoticeKind.QUALIFICATION_OVERDUE, waiting)
        return False

    async def _tell_office_of_decision(self, due: datetime, kind: NoticeKind, waiting: str) -> None:
        letter = (
            texts.qualification_reminder
            if kind is NoticeKind.QUALIFICATION_REMINDER
            else texts.qualification_overdue
        )
        text = letter(
            application_id=self.inp.application_id,
            enterprise_name=self.inp.enterprise_name,
            due=due,
            issued_at=workflow.now(),
        )
        key = f"{kind.lower().replace('_', '-')}-{due.isoformat()}"
        await self._advance(self.s.stage, waiting, due=due, notices=[self._to_office(key, kind, text)])

    async def _remind_experts(self, review: PanelReview, due: datetime) -> None:
        key, notices = due.isoformat(), []
        for seat in review.pending():
            if (seat.expert_id, key) in review.reminded:
                continue
            review.reminded.append((seat.expert_id, key))
            text = texts.review_reminder(
                expert_name=seat.name,
                application_id=self.inp.application_id,
                purpose_zh=review.purpose.name_zh,
                due=due,
                issued_at=workflow.now(),
            )
            notices.append(
                self._to_person(
                    f"reminder-{self.inp.application_id}-{review.purpose}-{seat.expert_id}-{key}",
                    NoticeKind.REVIEW_REMINDER,
                    text,
                    seat.user_id,
                    Audience.EXPERT,
                )
            )
        if notices:
            await self._advance(self.s.stage, self._scores_text(review), due=due, notices=notices)

    async def _scores_overdue(self, review: PanelReview, due: datetime) -> bool:
        text = texts.review_overdue(
            application_id=self.inp.application_id,
            purpose_zh=review.purpose.name_zh,
            experts=[s.name for s in review.pending()],
            due=due,
            issued_at=workflow.now(),
        )
        await self._advance(
            self.s.stage,
            self._scores_text(review),
            due=due,
            notices=[
                self._to_office(
                    f"overdue-{review.purpose}-{due.isoformat()}", NoticeKind.REVIEW_OVERDUE, text
                )
            ],
        )
        return False

    async def _remind_confirmation(self, due: datetime) -> None:
        text = texts.onsite_confirmation_reminder(
            enterprise_name=self.inp.enterprise_name, due=due, issued_at=workflow.now()
        )
        notice = self._to_enterprise(
            "onsite-confirmation-reminder", NoticeKind.ONSITE_CONFIRMATION_REMINDER, text
        )
        await self._advance(self.s.stage, self.s.waiting_for, due=due, notices=[notice])

    async def _deem_confirmed(self, due: datetime) -> bool:
        """Silence past the due time counts as confirmation; an answer that came with the timer wins."""
        if self.s.confirmation is not None:
            return True
        self.s.confirmation = ConfirmationInput(True, "逾期未确认，视为无异议", SYSTEM)
        waiting = self._committee_text()
        await record(
            ReviewActivities.record_onsite_confirmation,
            RecordConfirmationInput(
                self.inp.application_id,
                "DEEMED_CONFIRMED",
                self.s.confirmation.reason,
                SYSTEM,
                workflow.now(),
                progress=self._progress(Stage.AWAITING_COMMITTEE, self.s.outcome, waiting),
            ),
            "deemed confirmed",
        )
        self._moved(Stage.AWAITING_COMMITTEE, self.s.outcome, waiting)
        self.s.confirmation_recorded = True
        return True

    # --- progress, notices, search attributes ------------------------------------------------------
    def _progress(
        self,
        stage: Stage,
        outcome: Outcome,
        waiting: str,
        *,
        due: datetime | None = None,
        notices: Sequence[NoticeInput] = (),
    ) -> Progress:
        return Progress(
            self.inp.application_id,
            self.inp.year,
            stage,
            outcome,
            waiting,
            workflow.now(),
            due,
            list(notices),
        )

    async def _advance(
        self,
        stage: Stage,
        waiting: str,
        *,
        outcome: Outcome | None = None,
        due: datetime | None = None,
        notices: Sequence[NoticeInput] = (),
    ) -> None:
        """One activity records where the application stands with the step's notices; one upsert
        (only when the stage changes) tells the operators. The workflow moves first, so a human
        step of the new stage is taken while the record is being written."""
        outcome = outcome or self.s.outcome
        summary = f"stage {stage}" if stage is not self.s.stage else f"{len(notices)} notices"
        self._moved(stage, outcome, waiting)
        await record(
            AwardActivities.advance,
            self._progress(stage, outcome, waiting, due=due, notices=notices),
            summary,
        )

    def _moved(self, stage: Stage, outcome: Outcome, waiting: str | None = None) -> None:
        """Stages only move forward: a step that finishes after a later one (a human step taken
        while the workflow was recording) does not take the application back."""
        if rank(stage) < rank(self.s.stage):
            return
        if (stage, outcome) != (self.s.stage, self.s.outcome):
            self.s.stage, self.s.outcome = stage, outcome
            workflow.upsert_search_attributes([SA_STAGE.value_set(stage), SA_OUTCOME.value_set(outcome)])
        if waiting is not None:
            self._wait(waiting)

    def _wait(self, text: str) -> None:
        self.s.waiting_for = text
        workflow.set_current_details(text)

    def _to_enterprise(self, key: str, kind: NoticeKind, text: texts.NoticeText) -> NoticeInput:
        return NoticeInput(
            f"{key}-{self.inp.application_id}",
            kind,
            Audience.ENTERPRISE,
            text.title,
            text.body,
            workflow.now(),
            cycle_year=self.inp.year,
            enterprise_id=self.inp.enterprise_id,
            application_id=self.inp.application_id,
        )

    def _to_office(self, key: str, kind: NoticeKind, text: texts.NoticeText) -> NoticeInput:
        return self._to_person(f"{key}-{self.inp.application_id}", kind, text, None, Audience.OFFICE)

    def _to_person(
        self, key: str, kind: NoticeKind, text: texts.NoticeText, user_id: int | None, audience: Audience
    ) -> NoticeInput:
        """A notice to one person (an expert) or to the office."""
        return NoticeInput(
            key,
            kind,
            audience,
            text.title,
            text.body,
            workflow.now(),
            cycle_year=self.inp.year,
            application_id=self.inp.application_id,
            recipient_user_id=user_id,
            recipient_role=audience.lower(),
        )

    def _assignment(self, review: PanelReview, seat: PanelSeat) -> NoticeInput:
        text = texts.review_assignment(
            expert_name=seat.name,
            year=self.inp.year,
            award=self.inp.award,
            purpose_zh=review.purpose.name_zh,
            application_id=self.inp.application_id,
            due=review.due,
            leader=seat.leader,
            issued_at=workflow.now(),
            visit=str(review.visit_date or ""),
        )
        return self._to_person(
            f"assignment-{self.inp.application_id}-{review.purpose}-{seat.expert_id}",
            NoticeKind.REVIEW_ASSIGNMENT,
            text,
            seat.user_id,
            Audience.EXPERT,
        )

    @staticmethod
    def _scores_text(review: PanelReview) -> str:
        pending = len(review.pending())
        if not pending:
            return f"Waiting for the leader's consolidated opinion (组长意见), {review.purpose.name_zh}"
        state = (
            "OVERDUE, the office may replace experts"
            if workflow.now() >= review.due
            else f"due {format_cst(review.due)} CST"
        )
        return f"Waiting for {pending} of {len(review.members)} expert scores ({len(review.members) - pending} in), {state}"

    def _committee_text(self) -> str:
        total = (
            self.s.reviews[ReviewPurpose.ONSITE].opinion_total
            if ReviewPurpose.ONSITE in self.s.reviews
            else ""
        )
        return f"On-site review confirmed ({total} points); waiting for the committee (审查表决)"

    async def _panel(self, purpose: ReviewPurpose) -> PanelReview:
        await workflow.wait_condition(lambda: purpose in self.s.reviews)
        return self.s.reviews[purpose]

    # --- signals from the cycle's fan-outs ---------------------------------------------------------------
    @workflow.signal
    def intake_closed(self, msg: IntakeClosed) -> None:
        if self.s.deadline is None:
            self.s.deadline = msg.deadline

    @workflow.signal
    def panel_assigned(self, a: PanelAssignment) -> None:
        if a.purpose in self.s.reviews:
            return
        now = workflow.now()
        period = self.rules.document_review_period if a.purpose is ReviewPurpose.DOCUMENT else timedelta(0)
        due = due_after(now, period, self.rules.holiday_calendar) if period else now
        self.s.reviews[a.purpose] = PanelReview(a.purpose, a.draw_id, list(a.members), now, due, a.visit_date)

    @workflow.signal
    def onsite_listed(self, d: OnsiteDecision) -> None:
        if self.s.onsite_decision is None:
            self.s.onsite_decision = d

    @workflow.signal
    def final_result(self, r: FinalResult) -> None:
        if self.s.final is None:
            self.s.final = r

    # --- the office's qualification decision (update) ----------------------------------------------
    @workflow.update
    async def decide_qualification(self, inp: DecideQualificationInput) -> QualificationResult:
        """The decision, the letter it sends (feedback with the failed conditions, or the notice of
        passing) and the next stage are recorded together (R14.1, R14.4). A decision sent while the
        automatic checks are being recorded (the office may see them a moment before this workflow
        does) waits for them, then is checked like any other."""
        if not self.s.checks:
            try:
                await workflow.wait_condition(lambda: bool(self.s.checks), timeout=CHECKS_CATCH_UP)
            except TimeoutError:
                raise rejected(not_ready(self.s.stage)) from None
        with self.busy.running("decide_qualification", lambda: self._check_decision(inp)) as result:
            now = workflow.now()
            if result.qualified:
                stage, outcome = Stage.AWAITING_DOCUMENT_REVIEW, Outcome.QUALIFIED
                waiting = "Qualified; waiting for the document review panel (等待资料评审) to be drawn"
                key, kind = "qualification-passed", NoticeKind.QUALIFICATION_PASSED
                text = texts.qualification_passed(**award_names(self.inp), issued_at=now)
            else:
                stage, outcome = Stage.NOT_QUALIFIED, Outcome.NOT_QUALIFIED
                waiting = "Ended: not qualified, feedback notice delivered (未通过资格审查，已反馈)"
                key, kind = "qualification-feedback", NoticeKind.QUALIFICATION_FEEDBACK
                text = texts.qualification_feedback(
                    **award_names(self.inp),
                    failed=result.failed,
                    material_truthful=result.material_truthful,
                    truthfulness_note=result.truthfulness_note,
                    issued_at=now,
                )
            letter = self._to_enterprise(key, kind, text)
            await record(
                AwardActivities.record_qualification_decision,
                RecordDecisionInput(
                    self.inp.application_id,
                    inp.decision,
                    result,
                    inp.actor,
                    now,
                    self._progress(stage, outcome, waiting, notices=[letter]),
                ),
                "record the office's qualification decision",
            )
            self.s.result, self.s.decided = result, True
            self._moved(stage, outcome, waiting)
            return result

    @decide_qualification.validator
    def _validate_decision(self, inp: DecideQualificationInput) -> None:
        self.busy.refuse_if_running("decide_qualification")
        if self.s.checks or self.s.result is not None:
            self._check_decision(inp)
        elif self.s.stage is not Stage.QUALIFICATION_DECISION:
            raise rejected(not_ready(self.s.stage))
        # else: the checks are being recorded; the update waits for them and checks then

    def _check_decision(self, inp: DecideQualificationInput) -> QualificationResult:
        if self.s.result is not None:
            raise rejected(already_decided())
        if self.s.stage is not Stage.QUALIFICATION_DECISION or not self.s.checks:
            raise rejected(not_ready(self.s.stage))
        return enforce(lambda: resolve_qualification(self.s.checks, inp.decision))

    # --- experts (updates) ----------------------------------------------------------------------------
    def _open_review(self, purpose: ReviewPurpose) -> PanelReview:
        """The panel review of `purpose` from the moment its panel is known until its opinion."""
        stages = (
            (Stage.AWAITING_DOCUMENT_REVIEW, Stage.DOCUMENT_REVIEW)
            if purpose is ReviewPurpose.DOCUMENT
            else (Stage.AWAITING_ONSITE, Stage.ONSITE_REVIEW)
        )
        review = self.s.reviews.get(purpose)
        if review is None or self.s.stage not in stages or review.opinion_total is not None:
            raise rejected(
                conflict(
                    "REVIEW_NOT_OPEN",
                    f"该申报当前不在{purpose.name_zh}阶段",
                    f"This application is not in {purpose.value} review now",
                )
            )
        return review

    @workflow.update
    async def submit_expert_score(self, inp: ExpertScoreInput) -> str:
        review = self._open_review(ReviewPurpose.DOCUMENT)
        self._check_score(review, inp)
        review.scores[inp.expert_id] = dict(inp.scores)
        total = str(score_sheet(self.rubric, inp.scores).total)
        waiting = self._scores_text(review)
        try:
            await record(
                ReviewActivities.record_expert_score,
                RecordScoreInput(
                    self.inp.application_id,
                    review.purpose,
                    inp.expert_id,
                    dict(inp.scores),
                    total,
                    inp.strengths,
                    inp.improvements,
                    inp.actor,
                    workflow.now(),
                    self._progress(self.s.stage, self.s.outcome, waiting, due=review.due),
                    item_comments=dict(inp.item_comments),
                ),
                f"record the scores of expert {inp.expert_id}",
            )
        except BaseException:
            review.scores.pop(inp.expert_id, None)  # refused: the expert may send a corrected sheet
            raise
        self._wait(waiting)
        return total

    @submit_expert_score.validator
    def _validate_score(self, inp: ExpertScoreInput) -> None:
        self._check_score(self._open_review(ReviewPurpose.DOCUMENT), inp)
        self._check_comments(inp.scores, inp.item_comments)

    def _check_comments(self, scores: dict[str, int], comments: dict[str, ItemComment]) -> None:
        """Items scored below the band the rules name need their strengths and opportunities (R14.4).
        Checked by the validators only: the rule depends on nothing but the input and the frozen
        rules, so an update it lets in passes it in its handler too — and updates accepted before the
        rule existed replay unchanged (validators do not run on replay; handlers do)."""
        enforce(
            lambda: check_item_comments(
                self.rubric, scores=scores, comments=comments, below=self.rules.item_comments_below
            )
        )

    def _check_score(self, review: PanelReview, inp: ExpertScoreInput) -> None:
        enforce(
            lambda: check_expert_score(
                self.rubric,
                expert_id=inp.expert_id,
                active_members=review.active,
                already_scored=review.scores,
                scores=inp.scores,
            )
        )

    @workflow.update
    async def submit_panel_opinion(self, inp: PanelOpinionInput) -> str:
        """The leader's consolidated opinion (document review) or the on-site report (on-site review),
        recorded with the next stage (and, on site, the report letter to the enterprise)."""
        with self.busy.running("submit_panel_opinion", self._opinion_purpose) as purpose:
            review = self._open_review(purpose)
            self._check_opinion(review, inp)
            sheet = score_sheet(self.rubric, inp.scores)
            total, now = str(sheet.total), workflow.now()
            if purpose is ReviewPurpose.DOCUMENT:
                stage = Stage.AWAITING_ONSITE_LIST
                waiting = (
                    f"Document review done ({total} points); waiting for the on-site list (现场评审名单)"
                )
                due, notices = None, []
            else:
                stage = Stage.ONSITE_CONFIRMATION
                due = due_after(now, self.rules.onsite_confirmation_period, self.rules.holiday_calendar)
                waiting = (
                    f"Waiting for the enterprise to confirm the on-site report, due {format_cst(due)} CST"
                )
                report = texts.onsite_report(
                    **award_names(self.inp),
                    total=total,
                    report=inp.opinion,
                    due=due,
                    issued_at=now,
                )
                notices = [self._to_enterprise("onsite-report", NoticeKind.ONSITE_REPORT, report)]
            await record(
                ReviewActivities.record_panel_opinion,
                RecordOpinionInput(
                    self.inp.application_id,
                    purpose,
                    inp.expert_id,
                    dict(inp.scores),
                    total,
                    {k: str(v) for k, v in sheet.categories.items()},
                    inp.opinion,
                    dict(inp.rationales),
                    inp.actor,
                    now,
                    review.visit_date,
                    self._progress(stage, self.s.outcome, waiting, due=due, notices=notices),
                    item_comments=dict(inp.item_comments),
                ),
                f"record the {purpose.value.lower()} panel opinion",
            )
            review.opinion_text, review.opinion_total = inp.opinion, total
            self.s.confirmation_due = due if purpose is ReviewPurpose.ONSITE else self.s.confirmation_due
            self._moved(stage, self.s.outcome, waiting)
            return total

    @submit_panel_opinion.validator
    def _validate_opinion(self, inp: PanelOpinionInput) -> None:
        self.busy.refuse_if_running("submit_panel_opinion")
        self._check_opinion(self._open_review(self._opinion_purpose()), inp)
        self._check_comments(inp.scores, inp.item_comments)

    def _opinion_purpose(self) -> ReviewPurpose:
        onsite = self.s.stage in (Stage.AWAITING_ONSITE, Stage.ONSITE_REVIEW)
        return ReviewPurpose.ONSITE if onsite else ReviewPurpose.DOCUMENT

    def _check_opinion(self, review: PanelReview, inp: PanelOpinionInput) -> None:
        check: Callable[..., object]
        if review.purpose is ReviewPurpose.DOCUMENT:
            check = partial(
                check_panel_opinion,
                active_members=review.active,
                member_scores=review.scores,
                opinion=inp.opinion,
                rationales=inp.rationales,
                tolerance=self.rules.score_spread_tolerance,
            )
        else:  # the on-site report is written and scored by the panel under its leader
            check = partial(check_onsite_report, report=inp.opinion)
        enforce(lambda: check(self.rubric, expert_id=inp.expert_id, leader=review.leader, scores=inp.scores))

    @workflow.update
    async def replace_expert(self, inp: ReplaceExpertInput) -> list[PanelSeat]:
        """The office replaces a member (not responding, withdrawn, disqualified) by a drawn alternate,
        who is told at once and gets the review period the rules give."""
        with self.busy.running("replace_expert", lambda: self._replaceable(inp)) as review:
            seed = workflow.random().getrandbits(62)
            draw_id = f"{self.inp.application_id}-{review.purpose}-R{review.version + 1}"
            outcome = await record(
                ReviewActivities.draw_alternate,
                ReplacementRequest(
                    self.inp.application_id,
                    self.inp.year,
                    review.purpose,
                    draw_id,
                    seed,
                    inp.expert_id,
                    inp.reason,
                    self.rules,
                    inp.actor,
                    workflow.now(),
                ),
                f"draw an alternate for expert {inp.expert_id}",
            )
            review.version += 1
            if outcome.members is None:
                raise rejected(
                    conflict(
                        "NO_ALTERNATE",
                        f"没有符合条件的替补专家，评审组保持不变（{outcome.reason_zh}）；请补充专家库后重试",
                        "No eligible alternate: the panel is unchanged; add experts to the pool and try again",
                    )
                )
            old = {m.expert_id for m in review.members}
            if inp.expert_id in review.scores:
                review.set_aside[inp.expert_id] = review.scores.pop(inp.expert_id)
            review.members = outcome.members
            if review.purpose is ReviewPurpose.DOCUMENT:
                review.due = max(
                    review.due,
                    due_after(workflow.now(), self.rules.document_review_period, self.rules.holiday_calendar),
                )
            newcomers = [
                self._assignment(review, seat) for seat in review.members if seat.expert_id not in old
            ]
            waiting = (
                self._scores_text(review) if review.purpose is ReviewPurpose.DOCUMENT else self.s.waiting_for
            )
            await self._advance(self.s.stage, waiting, due=review.due, notices=newcomers)
            return review.members

    def _replaceable(self, inp: ReplaceExpertInput) -> PanelReview:
        open_reviews = [r for r in self.s.reviews.values() if r.opinion_total is None]
        review = next((r for r in open_reviews if inp.expert_id in r.active), None)
        if review is None:
            raise rejected(
                conflict(
                    "NOT_ON_OPEN_PANEL",
                    "该专家不在本申报尚未结束的评审组中",
                    "This expert holds no seat on an open panel of this application",
                )
            )
        if not inp.reason.strip():
            raise rejected(
                invalid("REASON_REQUIRED", "更换专家须说明理由", "Replacing an expert needs a reason")
            )
        return review

    _validate_replacement = replace_expert.validator(guarded(_replaceable, "replace_expert"))

    # --- the enterprise and the office on the on-site report (updates) ---------------------------------
    @workflow.update
    async def confirm_onsite(self, inp: ConfirmationInput) -> str:
        with self.busy.running("confirm_onsite", lambda: self._check_confirmation(inp)):
            state = "CONFIRMED" if inp.confirmed else "DISPUTED"
            now = workflow.now()
            if inp.confirmed:
                stage, waiting, notices = Stage.AWAITING_COMMITTEE, self._committee_text(), []
            else:
                stage = Stage.ONSITE_DISPUTED
                waiting = "The enterprise disputes the on-site report; waiting for the office to settle it (异议处理)"
                dispute = texts.onsite_dispute(
                    enterprise_name=self.inp.enterprise_name,
                    application_id=self.inp.application_id,
                    reason=inp.reason,
                    issued_at=now,
                )
                notices = [self._to_office("onsite-dispute", NoticeKind.ONSITE_DISPUTE, dispute)]
            self.s.confirmation = inp
            try:
                await record(
                    ReviewActivities.record_onsite_confirmation,
                    RecordConfirmationInput(
                        self.inp.application_id,
                        state,
                        inp.reason,
                        inp.actor,
                        now,
                        progress=self._progress(stage, self.s.outcome, waiting, notices=notices),
                    ),
                    f"on-site report {state.lower()}",
                )
            except BaseException:
                self.s.confirmation = None  # refused: the enterprise may answer again
                raise
            self.s.confirmation_recorded = True
            self._moved(stage, self.s.outcome, waiting)
            return state

    def _check_confirmation(self, inp: ConfirmationInput) -> None:
        if self.s.stage is not Stage.ONSITE_CONFIRMATION or self.s.confirmation is not None:
            raise rejected(
                conflict(
                    "CONFIRMATION_NOT_OPEN",
                    "当前没有待确认的现场评审报告",
                    "There is no on-site report waiting for confirmation",
                )
            )
        if not inp.confirmed and not inp.reason.strip():
            raise rejected(
                invalid(
                    "DISPUTE_REASON_REQUIRED",
                    "对现场评审报告有异议的，须说明理由",
                    "A dispute of the on-site report needs reasons",
                )
            )

    _validate_confirmation = confirm_onsite.validator(guarded(_check_confirmation, "confirm_onsite"))

    @workflow.update
    async def settle_dispute(self, inp: SettlementInput) -> str:
        with self.busy.running("settle_dispute", lambda: self._check_settlement(inp)):
            review = self.s.reviews[ReviewPurpose.ONSITE]
            revised = str(score_sheet(self.rubric, inp.revised_scores).total) if inp.revised_scores else None
            total = revised or review.opinion_total or ""
            waiting = f"On-site review settled ({total} points); waiting for the committee (审查表决)"
            await record(
                ReviewActivities.record_onsite_confirmation,
                RecordConfirmationInput(
                    self.inp.application_id,
                    "SETTLED",
                    inp.settlement,
                    inp.actor,
                    workflow.now(),
                    inp.revised_scores,
                    revised,
                    progress=self._progress(Stage.AWAITING_COMMITTEE, self.s.outcome, waiting),
                ),
                "the office settles the dispute",
            )
            review.opinion_total = total
            self.s.settled = True
            self._moved(Stage.AWAITING_COMMITTEE, self.s.outcome, waiting)
            return total

    def _check_settlement(self, inp: SettlementInput) -> None:
        if self.s.stage is not Stage.ONSITE_DISPUTED or self.s.settled:
            raise rejected(
                conflict("NO_DISPUTE", "当前没有待处理的现场评审异议", "There is no dispute to settle")
            )
        if not inp.settlement.strip():
            raise rejected(
                invalid("SETTLEMENT_REQUIRED", "请填写异议处理意见", "The settlement needs a text")
            )
        if inp.revised_scores is not None:
            enforce(lambda: validate_scores(self.rubric, inp.revised_scores or {}, complete=True))

    _validate_settlement = settle_dispute.validator(guarded(_check_settlement, "settle_dispute"))

    # --- reads --------------------------------------------------------------------------------------------
    @workflow.query
    def state(self) -> ApplicationView:
        s = self.s
        return ApplicationView(
            self.inp.application_id,
            self.inp.year,
            self.inp.award,
            s.stage,
            s.outcome,
            s.waiting_for,
            s.deadline,
            s.decision_due,
            list(s.checks),
            s.result,
            panels={p: list(r.members) for p, r in s.reviews.items()},
            scored={p: sorted(r.scores) for p, r in s.reviews.items()},
            review_due={p: r.due for p, r in s.reviews.items()},
            totals={p: r.opinion_total for p, r in s.reviews.items() if r.opinion_total is not None},
            confirmation_due=s.confirmation_due,
        )
