"""ApplicationWorkflow (`application-{year}-{n}`): one enterprise's way through the procedure."""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes

with workflow.unsafe.imports_passed_through():
    from activities.award import AwardActivities
    from domain import notices as texts
    from domain.calendar import format_cst, period_end_from
    from domain.eligibility import ConditionCheck
    from domain.errors import DomainError, conflict
    from domain.qualification import QualificationResult, resolve_qualification
    from domain.types import ApplicationStage, Audience, Award, NoticeKind, Outcome
    from workflows.common import (
        SA_AWARD,
        SA_CREDIT_CODE,
        SA_OUTCOME,
        SA_STAGE,
        SA_YEAR,
        enforce,
        publish,
        record,
        rejected,
    )
    from workflows.messages import (
        ApplicationInput,
        ApplicationProgress,
        ApplicationResult,
        ApplicationStageInput,
        ApplicationState,
        DecideQualificationInput,
        IntakeClosed,
        NoticeInput,
        QualificationChecksInput,
        RecordDecisionInput,
    )


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
        # Document review (资料评审) opens with the next stage of the process; the application holds here.
        await workflow.wait_condition(lambda: False)
        return ApplicationResult(inp.application_id, self.outcome, self.stage)

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
        )
