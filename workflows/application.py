"""ApplicationWorkflow (`application-{year}-{n}`): one enterprise's way through the procedure."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from activities.review import ReviewActivities
    from contracts.application import (
        ApplicationInput,
        ApplicationResult,
        ApplicationStageInput,
        ApplicationState,
        ConfirmationInput,
        DecideQualificationInput,
        ExpertScoreInput,
        FinalResult,
        IntakeClosed,
        OnsiteDecision,
        PanelAssignment,
        PanelOpinionInput,
        PanelSeat,
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
    from contracts.cycle import ApplicationProgress, ReviewProgress
    from domain import notices as texts
    from domain.calendar import due_after, format_cst, period_end_from
    from domain.eligibility import ConditionCheck
    from domain.errors import DomainError, conflict, invalid
    from domain.qualification import QualificationResult, resolve_qualification
    from domain.review import ReviewPurpose, check_expert_score, check_onsite_report, check_panel_opinion
    from domain.rubric import load_rubric, score_sheet, validate_scores
    from domain.types import ApplicationStage, Audience, Award, NoticeKind, Outcome
    from workflows.common import (
        SA_AWARD,
        SA_CREDIT_CODE,
        SA_OUTCOME,
        SA_STAGE,
        SA_YEAR,
        InProgress,
        enforce,
        publish,
        record,
        rejected,
    )
    from workflows.review_state import PanelReview


@workflow.defn
class ApplicationWorkflow:
    @workflow.init
    def __init__(self, inp: ApplicationInput) -> None:
        self.inp = inp
        self.stage = ApplicationStage.SUBMITTED
        self.outcome = Outcome.PENDING
        self.deadline: datetime | None = None
        self.decision_due: datetime | None = None
        self.checks: list[ConditionCheck] = []
        self.result: QualificationResult | None = None
        self.recorded = False
        self.waiting_for = "Waiting for the call for applications to close (等待申报截止)"
        self.reviews: dict[ReviewPurpose, PanelReview] = {}
        self.onsite_decision: OnsiteDecision | None = None
        self.confirmation: ConfirmationInput | None = None
        self.confirmation_recorded = False
        self.confirmation_due: datetime | None = None
        self.settled = False
        self.final: FinalResult | None = None
        self.overdue = False
        self.busy = InProgress()
        self.rubric = load_rubric(inp.rules.criteria_edition)

    @staticmethod
    def initial_search_attributes(year: int, award: Award, credit_code: str) -> TypedSearchAttributes:
        return TypedSearchAttributes(
            [
                SearchAttributePair(SA_YEAR, year),
                SearchAttributePair(SA_AWARD, str(award)),
                SearchAttributePair(SA_CREDIT_CODE, credit_code),
                SearchAttributePair(SA_STAGE, str(ApplicationStage.SUBMITTED)),
                SearchAttributePair(SA_OUTCOME, str(Outcome.PENDING)),
            ]
        )

    # --- the process -------------------------------------------------------------------------
    @workflow.run
    async def run(self, inp: ApplicationInput) -> ApplicationResult:
        self._wait(self.waiting_for)
        await workflow.wait_condition(lambda: self.deadline is not None)
        assert self.deadline is not None

        # 资格审查 (Art. 14(1)): automatic checks, then the office's decision.
        await self._enter(ApplicationStage.QUALIFICATION_CHECK, persist=False)
        self.checks = await record(
            AwardActivities.run_qualification_checks,
            QualificationChecksInput(inp.application_id, self.deadline, inp.rules.district, workflow.now()),
            "Art. 11 / Art. 17 eligibility checks",
        )
        await self._enter(ApplicationStage.QUALIFICATION_DECISION, persist=False)  # the activity recorded it
        self.decision_due = period_end_from(self.deadline, days=inp.rules.qualification_review_days)
        undecided = sum(c.status == "NEEDS_JUDGEMENT" for c in self.checks)
        self._wait(
            f"Waiting for the office's qualification decision (资格审查决定), {undecided} conditions need "
            f"judgement, due {format_cst(self.decision_due)} CST"
        )
        await workflow.wait_condition(lambda: self.recorded)
        assert self.result is not None

        if not self.result.qualified:
            await self._feedback(self.result)
            self.outcome = Outcome.NOT_QUALIFIED
            await self._enter(ApplicationStage.NOT_QUALIFIED)
            self._wait("Ended: not qualified, feedback notice delivered (未通过资格审查，已反馈)")
            await workflow.wait_condition(workflow.all_handlers_finished)
            return ApplicationResult(inp.application_id, self.outcome, self.stage)

        text = texts.qualification_passed(
            enterprise_name=inp.enterprise_name, year=inp.year, award=inp.award, issued_at=workflow.now()
        )
        await self._notify(
            f"qualification-passed-{inp.application_id}", NoticeKind.QUALIFICATION_PASSED, text
        )
        self.outcome = Outcome.QUALIFIED
        await self._enter(ApplicationStage.AWAITING_DOCUMENT_REVIEW)
        self._wait("Qualified; waiting for the document review panel (等待资料评审) to be drawn")

        # 资料评审 (Art. 14(2)): the panel scores independently, the leader consolidates.
        doc = await self._panel(ReviewPurpose.DOCUMENT)
        await self._enter(ApplicationStage.DOCUMENT_REVIEW)
        await self._assign(doc)
        await self._collect_scores(doc)
        self._wait(f"Waiting for the leader's consolidated opinion (组长意见), {doc.purpose.name_zh}")
        await workflow.wait_condition(lambda: doc.opinion_total is not None)
        await self._report(doc)

        # The office fixes the on-site list (Art. 14(2), R14.3).
        await self._enter(ApplicationStage.AWAITING_ONSITE_LIST)
        self._wait(
            f"Document review done ({doc.opinion_total} points); waiting for the on-site list (现场评审名单)"
        )
        await workflow.wait_condition(lambda: self.onsite_decision is not None)
        assert self.onsite_decision is not None
        if not self.onsite_decision.listed:
            await self._document_feedback(doc, self.onsite_decision.note)
            self.outcome = Outcome.NOT_SHORTLISTED
            await self._enter(ApplicationStage.NOT_SHORTLISTED)
            self._wait("Ended: not listed for on-site review, feedback with the panel opinion delivered")
            await workflow.wait_condition(workflow.all_handlers_finished)
            return ApplicationResult(inp.application_id, self.outcome, self.stage)

        # 现场评审 (Art. 14(3)): visit, on-site report, the enterprise confirms or disputes.
        self.outcome = Outcome.SHORTLISTED
        await self._enter(ApplicationStage.AWAITING_ONSITE)
        self._wait("Listed for on-site review; waiting for the on-site panel and visit date")
        onsite = await self._panel(ReviewPurpose.ONSITE)
        await self._enter(ApplicationStage.ONSITE_REVIEW)
        await self._assign(onsite)
        self._wait(
            f"Waiting for the on-site report (现场评审报告) of the panel leader, visit {onsite.visit_date}"
        )
        await workflow.wait_condition(lambda: onsite.opinion_total is not None)
        await self._confirm_onsite(onsite)
        await self._report(onsite)

        await self._enter(ApplicationStage.AWAITING_COMMITTEE)
        self._wait(
            f"On-site review confirmed ({onsite.opinion_total} points); waiting for the committee (审查表决)"
        )
        # 审查表决, 初选公示 and 审定批准 are steps of the cycle; it tells each application the result.
        await workflow.wait_condition(lambda: self.final is not None)
        assert self.final is not None
        self.outcome = Outcome.AWARDED if self.final.awarded else Outcome.NOT_AWARDED
        text = texts.award_result(
            enterprise_name=inp.enterprise_name,
            year=inp.year,
            award=inp.award,
            awarded=self.final.awarded,
            reason=self.final.reason,
            number=self.final.certificate_number,
            issued_at=workflow.now(),
        )
        await self._notify(f"award-result-{inp.application_id}", NoticeKind.AWARD_RESULT, text)
        await self._enter(ApplicationStage.AWARDED if self.final.awarded else ApplicationStage.NOT_AWARDED)
        self._wait(
            f"Ended: awarded, certificate {self.final.certificate_number}"
            if self.final.awarded
            else f"Ended: not awarded ({self.final.reason})"
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ApplicationResult(inp.application_id, self.outcome, self.stage)

    # --- panel reviews --------------------------------------------------------------------------
    async def _panel(self, purpose: ReviewPurpose) -> PanelReview:
        await workflow.wait_condition(lambda: purpose in self.reviews)
        return self.reviews[purpose]

    async def _assign(self, review: PanelReview) -> None:
        """Tell each member of the panel (and, for a visit, the enterprise)."""
        for seat in review.members:
            await self._tell_expert(review, seat)
        if review.purpose is ReviewPurpose.ONSITE:
            text = texts.onsite_notice(
                enterprise_name=self.inp.enterprise_name,
                year=self.inp.year,
                award=self.inp.award,
                visit=str(review.visit_date),
                issued_at=workflow.now(),
            )
            await self._notify(f"onsite-notice-{self.inp.application_id}", NoticeKind.ONSITE_NOTICE, text)

    async def _tell_expert(self, review: PanelReview, seat: PanelSeat) -> None:
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
        await self._personal(
            f"assignment-{self.inp.application_id}-{review.purpose}-{seat.expert_id}",
            NoticeKind.REVIEW_ASSIGNMENT,
            text,
            seat.user_id,
            Audience.EXPERT,
        )

    async def _collect_scores(self, review: PanelReview) -> None:
        """Wait for every member's scores: remind before the due time, tell the office when overdue."""
        rules = self.inp.rules
        while not review.all_scored():
            now = workflow.now()
            pending = review.pending()
            remind_at = review.due - rules.review_reminder_before
            due_key = review.due.isoformat()
            wake: datetime | None = None
            if now < remind_at:
                wake = remind_at
            elif now < review.due:
                for seat in pending:
                    if (seat.expert_id, due_key) not in review.reminded:
                        review.reminded.add((seat.expert_id, due_key))
                        text = texts.review_reminder(
                            expert_name=seat.name,
                            application_id=self.inp.application_id,
                            purpose_zh=review.purpose.name_zh,
                            due=review.due,
                            issued_at=now,
                        )
                        await self._personal(
                            f"reminder-{self.inp.application_id}-{review.purpose}-{seat.expert_id}-{due_key}",
                            NoticeKind.REVIEW_REMINDER,
                            text,
                            seat.user_id,
                            Audience.EXPERT,
                        )
                wake = review.due
            elif review.escalated_for != due_key:
                review.escalated_for = due_key
                text = texts.review_overdue(
                    application_id=self.inp.application_id,
                    purpose_zh=review.purpose.name_zh,
                    experts=[s.name for s in pending],
                    due=review.due,
                    issued_at=now,
                )
                await self._personal(
                    f"overdue-{self.inp.application_id}-{review.purpose}-{due_key}",
                    NoticeKind.REVIEW_OVERDUE,
                    text,
                    None,
                    Audience.OFFICE,
                )
                self.overdue = True
            scored = len(review.members) - len(pending)
            state = (
                "OVERDUE, the office may replace experts"
                if now >= review.due
                else f"due {format_cst(review.due)} CST"
            )
            self._wait(
                f"Waiting for {len(pending)} of {len(review.members)} expert scores ({scored} in), {state}"
            )
            version, count = review.version, len(review.scores)

            def moved(version: int = version, count: int = count) -> bool:
                return review.all_scored() or review.version != version or len(review.scores) != count

            try:
                await workflow.wait_condition(
                    moved,
                    timeout=(wake - now) if wake is not None else None,
                    timeout_summary="review reminder" if wake == remind_at else "review due",
                )
            except TimeoutError:
                pass
        self.overdue = False

    async def _report(self, review: PanelReview) -> None:
        assert review.opinion_total is not None
        await workflow.get_external_workflow_handle(self.inp.cycle_workflow_id).signal(
            "review_progress", ReviewProgress(self.inp.application_id, review.purpose, review.opinion_total)
        )

    async def _document_feedback(self, review: PanelReview, note: str) -> None:
        text = texts.document_review_feedback(
            enterprise_name=self.inp.enterprise_name,
            year=self.inp.year,
            award=self.inp.award,
            total=review.opinion_total or "",
            opinion=review.opinion_text,
            note=note,
            issued_at=workflow.now(),
        )
        await self._notify(
            f"document-feedback-{self.inp.application_id}", NoticeKind.DOCUMENT_REVIEW_FEEDBACK, text
        )

    async def _confirm_onsite(self, review: PanelReview) -> None:
        """The enterprise confirms the on-site report or disputes it; silence past the due time counts
        as confirmation (视为无异议), after a reminder. A dispute waits for the office's settlement."""
        rules = self.inp.rules
        now = workflow.now()
        self.confirmation_due = due_after(now, rules.onsite_confirmation_period)
        await self._enter(ApplicationStage.ONSITE_CONFIRMATION)
        text = texts.onsite_report(
            enterprise_name=self.inp.enterprise_name,
            year=self.inp.year,
            award=self.inp.award,
            total=review.opinion_total or "",
            report=review.opinion_text,
            due=self.confirmation_due,
            issued_at=now,
        )
        await self._notify(f"onsite-report-{self.inp.application_id}", NoticeKind.ONSITE_REPORT, text)
        self._wait(
            f"Waiting for the enterprise to confirm the on-site report, due {format_cst(self.confirmation_due)} CST"
        )
        remind_at = self.confirmation_due - rules.onsite_reminder_before
        try:
            await workflow.wait_condition(
                lambda: self.confirmation is not None,
                timeout=max(remind_at - now, timedelta(0)),
                timeout_summary="confirmation reminder",
            )
        except TimeoutError:
            text = texts.onsite_confirmation_reminder(
                enterprise_name=self.inp.enterprise_name, due=self.confirmation_due, issued_at=workflow.now()
            )
            await self._notify(
                f"onsite-confirmation-reminder-{self.inp.application_id}",
                NoticeKind.ONSITE_CONFIRMATION_REMINDER,
                text,
            )
            try:
                await workflow.wait_condition(
                    lambda: self.confirmation is not None,
                    timeout=max(self.confirmation_due - workflow.now(), timedelta(0)),
                    timeout_summary="confirmation due",
                )
            except TimeoutError:
                if self.confirmation is None:  # silence; an answer that came with the timer wins
                    self.confirmation = ConfirmationInput(True, "逾期未确认，视为无异议", SYSTEM)
                    await record(
                        ReviewActivities.record_onsite_confirmation,
                        RecordConfirmationInput(
                            self.inp.application_id,
                            "DEEMED_CONFIRMED",
                            self.confirmation.reason,
                            SYSTEM,
                            workflow.now(),
                        ),
                        "deemed confirmed",
                    )
                    self.confirmation_recorded = True
        await workflow.wait_condition(lambda: self.confirmation_recorded)
        assert self.confirmation is not None
        if not self.confirmation.confirmed:
            await self._enter(ApplicationStage.ONSITE_DISPUTED)
            text = texts.onsite_dispute(
                enterprise_name=self.inp.enterprise_name,
                application_id=self.inp.application_id,
                reason=self.confirmation.reason,
                issued_at=workflow.now(),
            )
            await self._personal(
                f"onsite-dispute-{self.inp.application_id}",
                NoticeKind.ONSITE_DISPUTE,
                text,
                None,
                Audience.OFFICE,
            )
            self._wait(
                "The enterprise disputes the on-site report; waiting for the office to settle it (异议处理)"
            )
            await workflow.wait_condition(lambda: self.settled)

    async def _feedback(self, result: QualificationResult) -> None:
        text = texts.qualification_feedback(
            enterprise_name=self.inp.enterprise_name,
            year=self.inp.year,
            award=self.inp.award,
            failed=result.failed,
            material_truthful=result.material_truthful,
            truthfulness_note=result.truthfulness_note,
            issued_at=workflow.now(),
        )
        await self._notify(
            f"qualification-feedback-{self.inp.application_id}", NoticeKind.QUALIFICATION_FEEDBACK, text
        )

    async def _notify(self, key: str, kind: NoticeKind, text: texts.NoticeText) -> None:
        await publish(
            NoticeInput(
                key,
                kind,
                Audience.ENTERPRISE,
                text.title,
                text.body,
                workflow.now(),
                cycle_year=self.inp.year,
                enterprise_id=self.inp.enterprise_id,
                application_id=self.inp.application_id,
            )
        )

    async def _personal(
        self, key: str, kind: NoticeKind, text: texts.NoticeText, user_id: int | None, audience: Audience
    ) -> None:
        """A notice to one person (an expert) or to the office."""
        await publish(
            NoticeInput(
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
        )

    async def _enter(self, stage: ApplicationStage, *, persist: bool = True) -> None:
        self.stage = stage
        workflow.upsert_search_attributes([SA_STAGE.value_set(stage), SA_OUTCOME.value_set(self.outcome)])
        if persist:
            await record(
                AwardActivities.set_application_stage,
                ApplicationStageInput(self.inp.application_id, stage, self.outcome, workflow.now()),
                f"stage {stage}",
            )
        await workflow.get_external_workflow_handle(self.inp.cycle_workflow_id).signal(
            "application_progress", ApplicationProgress(self.inp.application_id, stage, self.outcome)
        )

    def _wait(self, text: str) -> None:
        self.waiting_for = text
        workflow.set_current_details(text)

    # --- messages ------------------------------------------------------------------------------
    @workflow.signal
    def intake_closed(self, msg: IntakeClosed) -> None:
        if self.deadline is None:
            self.deadline = msg.deadline

    @workflow.update
    async def decide_qualification(self, inp: DecideQualificationInput) -> QualificationResult:
        if self.result is not None:
            raise rejected(self._already_decided())
        result = enforce(lambda: resolve_qualification(self.checks, inp.decision))
        self.result = result
        await record(
            AwardActivities.record_qualification_decision,
            RecordDecisionInput(self.inp.application_id, inp.decision, result, inp.actor, workflow.now()),
            "record the office's qualification decision",
        )
        self.recorded = True
        return result

    @decide_qualification.validator
    def _validate_decision(self, inp: DecideQualificationInput) -> None:
        if self.stage is not ApplicationStage.QUALIFICATION_DECISION or self.result is not None:
            raise rejected(self._already_decided() if self.result else self._not_yet())
        enforce(lambda: resolve_qualification(self.checks, inp.decision))

    def _already_decided(self) -> DomainError:
        return conflict(
            "QUALIFICATION_ALREADY_DECIDED",
            "该申报的资格审查已作出决定，不能重复决定",
            "The qualification of this application has already been decided",
        )

    def _not_yet(self) -> DomainError:
        return conflict(
            "QUALIFICATION_NOT_READY",
            "该申报尚未进入资格审查决定环节（申报截止后自动核查完成方可决定）",
            f"The application is not awaiting a qualification decision (stage {self.stage})",
        )

    # --- panels (signals from the cycle) --------------------------------------------------------
    @workflow.signal
    def panel_assigned(self, a: PanelAssignment) -> None:
        if a.purpose in self.reviews:
            return
        now = workflow.now()
        period = (
            self.inp.rules.document_review_period if a.purpose is ReviewPurpose.DOCUMENT else timedelta(0)
        )
        due = due_after(now, period) if period else now
        self.reviews[a.purpose] = PanelReview(a.purpose, a.draw_id, list(a.members), now, due, a.visit_date)

    @workflow.signal
    def final_result(self, r: FinalResult) -> None:
        if self.final is None:
            self.final = r

    @workflow.signal
    def onsite_listed(self, d: OnsiteDecision) -> None:
        if self.onsite_decision is None:
            self.onsite_decision = d

    def _open_review(self, purpose: ReviewPurpose) -> PanelReview:
        stage = (
            ApplicationStage.DOCUMENT_REVIEW
            if purpose is ReviewPurpose.DOCUMENT
            else ApplicationStage.ONSITE_REVIEW
        )
        review = self.reviews.get(purpose)
        if review is None or self.stage is not stage or review.opinion_total is not None:
            raise rejected(
                conflict(
                    "REVIEW_NOT_OPEN",
                    f"该申报当前不在{purpose.name_zh}阶段",
                    f"This application is not in {purpose.value} review now",
                )
            )
        return review

    # --- experts (updates) ------------------------------------------------------------------------
    @workflow.update
    async def submit_expert_score(self, inp: ExpertScoreInput) -> str:
        review = self._open_review(ReviewPurpose.DOCUMENT)
        self._check_score(review, inp)
        review.scores[inp.expert_id] = dict(inp.scores)
        total = str(score_sheet(self.rubric, inp.scores).total)
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
            ),
            f"record the scores of expert {inp.expert_id}",
        )
        return total

    @submit_expert_score.validator
    def _validate_score(self, inp: ExpertScoreInput) -> None:
        self._check_score(self._open_review(ReviewPurpose.DOCUMENT), inp)

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
        with self.busy.running("submit_panel_opinion"):
            return await self._submit_panel_opinion(inp)

    async def _submit_panel_opinion(self, inp: PanelOpinionInput) -> str:
        """The leader's consolidated opinion (document review) or the on-site report (on-site review)."""
        purpose = self._opinion_purpose()
        review = self._open_review(purpose)
        self._check_opinion(review, inp)
        sheet = score_sheet(self.rubric, inp.scores)
        total = str(sheet.total)
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
                workflow.now(),
                review.visit_date,
            ),
            f"record the {purpose.value.lower()} panel opinion",
        )
        review.opinion_text = inp.opinion
        review.opinion_total = total
        return total

    @submit_panel_opinion.validator
    def _validate_opinion(self, inp: PanelOpinionInput) -> None:
        self.busy.refuse_if_running("submit_panel_opinion")
        self._check_opinion(self._open_review(self._opinion_purpose()), inp)

    def _opinion_purpose(self) -> ReviewPurpose:
        return (
            ReviewPurpose.ONSITE if self.stage is ApplicationStage.ONSITE_REVIEW else ReviewPurpose.DOCUMENT
        )

    def _check_opinion(self, review: PanelReview, inp: PanelOpinionInput) -> None:
        if review.purpose is ReviewPurpose.DOCUMENT:
            enforce(
                lambda: check_panel_opinion(
                    self.rubric,
                    expert_id=inp.expert_id,
                    leader=review.leader,
                    active_members=review.active,
                    member_scores=review.scores,
                    scores=inp.scores,
                    opinion=inp.opinion,
                    rationales=inp.rationales,
                    tolerance=self.inp.rules.score_spread_tolerance,
                )
            )
        else:  # the on-site report is written and scored by the panel under its leader
            enforce(
                lambda: check_onsite_report(
                    self.rubric,
                    expert_id=inp.expert_id,
                    leader=review.leader,
                    scores=inp.scores,
                    report=inp.opinion,
                )
            )

    @workflow.update
    async def replace_expert(self, inp: ReplaceExpertInput) -> list[PanelSeat]:
        with self.busy.running("replace_expert"):
            return await self._replace_expert(inp)

    async def _replace_expert(self, inp: ReplaceExpertInput) -> list[PanelSeat]:
        """The office replaces a member (not responding, withdrawn, disqualified) by a drawn alternate."""
        review = self._replaceable(inp)
        seed = workflow.random().getrandbits(62)
        review.version += 1
        draw_id = f"{self.inp.application_id}-{review.purpose}-R{review.version}"
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
                self.inp.rules,
                inp.actor,
                workflow.now(),
            ),
            f"draw an alternate for expert {inp.expert_id}",
        )
        if self.inp.application_id not in outcome.panels:
            why = outcome.unfilled[0].reason_zh if outcome.unfilled else ""
            raise rejected(
                conflict(
                    "NO_ALTERNATE",
                    f"没有符合条件的替补专家，评审组保持不变（{why}）；请补充专家库后重试",
                    "No eligible alternate: the panel is unchanged; add experts to the pool and try again",
                )
            )
        old = {m.expert_id for m in review.members}
        if inp.expert_id in review.scores:
            review.set_aside[inp.expert_id] = review.scores.pop(inp.expert_id)
        review.members = outcome.panels[self.inp.application_id]
        now = workflow.now()
        if review.purpose is ReviewPurpose.DOCUMENT:
            review.due = max(review.due, due_after(now, self.inp.rules.document_review_period))
        for seat in review.members:
            if seat.expert_id not in old:
                await self._tell_expert(review, seat)
        return review.members

    @replace_expert.validator
    def _validate_replacement(self, inp: ReplaceExpertInput) -> None:
        self.busy.refuse_if_running("replace_expert")
        self._replaceable(inp)

    def _replaceable(self, inp: ReplaceExpertInput) -> PanelReview:
        open_reviews = [r for r in self.reviews.values() if r.opinion_total is None]
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

    # --- the enterprise and the office on the on-site report (updates) -----------------------------
    @workflow.update
    async def confirm_onsite(self, inp: ConfirmationInput) -> str:
        self._check_confirmation(inp)
        self.confirmation = inp
        state = "CONFIRMED" if inp.confirmed else "DISPUTED"
        await record(
            ReviewActivities.record_onsite_confirmation,
            RecordConfirmationInput(self.inp.application_id, state, inp.reason, inp.actor, workflow.now()),
            f"on-site report {state.lower()}",
        )
        self.confirmation_recorded = True
        return state

    @confirm_onsite.validator
    def _validate_confirmation(self, inp: ConfirmationInput) -> None:
        self._check_confirmation(inp)

    def _check_confirmation(self, inp: ConfirmationInput) -> None:
        if self.stage is not ApplicationStage.ONSITE_CONFIRMATION or self.confirmation is not None:
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

    @workflow.update
    async def settle_dispute(self, inp: SettlementInput) -> str:
        with self.busy.running("settle_dispute"):
            return await self._settle_dispute(inp)

    async def _settle_dispute(self, inp: SettlementInput) -> str:
        self._check_settlement(inp)
        review = self.reviews[ReviewPurpose.ONSITE]
        revised_total = (
            str(score_sheet(self.rubric, inp.revised_scores).total) if inp.revised_scores else None
        )
        await record(
            ReviewActivities.record_onsite_confirmation,
            RecordConfirmationInput(
                self.inp.application_id,
                "SETTLED",
                inp.settlement,
                inp.actor,
                workflow.now(),
                inp.revised_scores,
                revised_total,
            ),
            "the office settles the dispute",
        )
        if revised_total is not None:
            review.opinion_total = revised_total
        self.settled = True
        return review.opinion_total or ""

    @settle_dispute.validator
    def _validate_settlement(self, inp: SettlementInput) -> None:
        self.busy.refuse_if_running("settle_dispute")
        self._check_settlement(inp)

    def _check_settlement(self, inp: SettlementInput) -> None:
        if self.stage is not ApplicationStage.ONSITE_DISPUTED or self.settled:
            raise rejected(
                conflict("NO_DISPUTE", "当前没有待处理的现场评审异议", "There is no dispute to settle")
            )
        if not inp.settlement.strip():
            raise rejected(
                invalid("SETTLEMENT_REQUIRED", "请填写异议处理意见", "The settlement needs a text")
            )
        if inp.revised_scores is not None:
            enforce(lambda: validate_scores(self.rubric, inp.revised_scores or {}, complete=True))

    @workflow.query
    def state(self) -> ApplicationState:
        return ApplicationState(
            self.inp.application_id,
            self.inp.year,
            self.inp.award,
            self.stage,
            self.outcome,
            self.waiting_for,
            self.deadline,
            self.decision_due,
            list(self.checks),
            self.result,
            panels={p: list(r.members) for p, r in self.reviews.items()},
            scored={p: sorted(r.scores) for p, r in self.reviews.items()},
            review_due={p: r.due for p, r in self.reviews.items()},
            totals={p: r.opinion_total for p, r in self.reviews.items() if r.opinion_total is not None},
            confirmation_due=self.confirmation_due,
        )
