"""ObjectionWorkflow (`objection-{year}-obj-{n}`): one objection filed during the public notice is
investigated (Art. 14(5)): an investigator is assigned, reports by a due time (reminded before,
escalated after), and the report goes to the committee.

Started by the API once the objection is stored (or by the cycle when the notice closes, if that
start was lost). Only the objection's id and the public facts of the notice pass in: the
objector's words and identity stay in PostgreSQL (P6). The report's record wakes the cycle when
it was the last one outstanding.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.committee import CommitteeActivities
    from contracts.common import NoticeInput
    from contracts.objection import (
        AssignInvestigatorInput,
        InvestigationReportInput,
        InvestigationState,
        ObjectionConcluded,
        ObjectionState,
        ObjectionWorkflowInput,
        RecordInvestigationInput,
    )
    from domain.calendar import due_after, format_cst
    from domain.errors import conflict, invalid
    from domain.publicity import ObjectionConclusion
    from domain.types import Audience, NoticeKind
    from workflows.common import InProgress, StepRetries, guarded, record, rejected, wait_with_deadline


@workflow.defn
class ObjectionWorkflow(StepRetries):
    @workflow.init
    def __init__(self, inp: ObjectionWorkflowInput) -> None:
        self.inp = inp
        self.s = InvestigationState()
        self.busy = InProgress()

    @workflow.run
    async def run(self, inp: ObjectionWorkflowInput) -> ObjectionConcluded:
        workflow.set_current_details(self.s.waiting_for)
        await workflow.wait_condition(lambda: self.s.due is not None)  # the office assigns
        await wait_with_deadline(  # the investigator reports (update submit_report)
            lambda: self.s.report is not None,
            due=self._due,
            remind_before=inp.rules.objection_reminder_before,
            marks=self.s.marks,
            remind=self._remind,
            escalate=self._overdue,
            what="investigation report",
        )
        assert self.s.report is not None
        await workflow.wait_condition(workflow.all_handlers_finished)
        return ObjectionConcluded(inp.objection_id, inp.application_id, self.s.report.conclusion)

    def _due(self) -> datetime:
        assert self.s.due is not None
        return self.s.due

    async def _remind(self, due: datetime) -> None:
        body = f"异议（{self.inp.objection_id}）的调查报告将于{format_cst(due)}到期，请按时提交。"
        await self._record(
            "INVESTIGATING", [self._notice("reminder", NoticeKind.OBJECTION_REMINDER, "异议调查提醒", body)]
        )

    async def _overdue(self, due: datetime) -> bool:
        body = f"异议（{self.inp.objection_id}）的调查报告已于{format_cst(due)}逾期，请区评审办督办。"
        notice = self._notice("overdue", NoticeKind.OBJECTION_OVERDUE, "异议调查逾期", body, to_office=True)
        await self._record("INVESTIGATING", [notice])
        self._wait(f"Investigation OVERDUE since {format_cst(due)} CST; the report is still awaited")
        return False

    async def _record(self, state: str, notices: list[NoticeInput], **fields: object) -> None:
        await record(
            CommitteeActivities.record_investigation,
            RecordInvestigationInput(self.inp.objection_id, state, workflow.now(), notices=notices, **fields),  # type: ignore[arg-type]
            f"objection {state.lower()}" + (f", {len(notices)} notices" if notices else ""),
        )

    def _wait(self, text: str) -> None:
        self.s.waiting_for = text
        workflow.set_current_details(text)

    def _notice(
        self, key: str, kind: NoticeKind, title: str, body: str, *, to_office: bool = False
    ) -> NoticeInput:
        investigator = self.s.investigator
        assert investigator is not None
        return NoticeInput(
            f"objection-{self.inp.objection_id}-{key}",
            kind,
            Audience.OFFICE,
            f"{title}（{self.inp.objection_id}）",
            body + "\n\n鹿城区政府质量奖评审委员会办公室",
            workflow.now(),
            cycle_year=self.inp.year,
            application_id=self.inp.application_id or None,  # none for a problem of the notice itself
            recipient_user_id=None if to_office else investigator.investigator_user_id,
            recipient_role="office",
        )

    # --- updates ------------------------------------------------------------------------------------
    @workflow.update
    async def assign_investigator(self, inp: AssignInvestigatorInput) -> datetime:
        with self.busy.running("assign_investigator", lambda: self._check_assign(inp)):
            rules = self.inp.rules
            due = due_after(workflow.now(), rules.objection_investigation_period, rules.holiday_calendar)
            self.s.investigator = inp
            about = (
                f"针对“{self.inp.enterprise_name}”（{self.inp.application_id}）"
                if self.inp.application_id
                else f"针对补充公示（{self.inp.notice_id}，未指明单位）"
                if self.inp.notice_id
                else "针对初选公示（未指明单位）"
            )
            body = (
                f"{inp.investigator}：请对公示期间{about}"
                f"提出的异议（{self.inp.objection_id}）进行调查核实，并于{format_cst(due)}前提交调查报告。"
            )
            try:
                await self._record(
                    "INVESTIGATING",
                    [self._notice("assigned", NoticeKind.OBJECTION_ASSIGNED, "异议调查任务", body)],
                    investigator=inp.investigator,
                    due_at=due,
                    actor=inp.actor,
                )
            except BaseException:
                self.s.investigator = None
                raise
            self.s.due, self.s.stage = due, "INVESTIGATING"
            self._wait(f"Investigation by {inp.investigator}, report due {format_cst(due)} CST")
            return due

    def _check_assign(self, inp: AssignInvestigatorInput) -> None:
        if self.s.investigator is not None:
            raise rejected(
                conflict("INVESTIGATOR_ASSIGNED", "已指定调查人", "An investigator is already assigned")
            )

    _validate_assign = assign_investigator.validator(guarded(_check_assign, "assign_investigator"))

    @workflow.update
    async def submit_report(self, inp: InvestigationReportInput) -> str:
        with self.busy.running("submit_report", lambda: self._check_report(inp)):
            await self._record(
                "REPORTED", [], findings=inp.findings, conclusion=inp.conclusion, actor=inp.actor
            )
            self.s.report, self.s.stage = inp, "REPORTED"
            self._wait(f"Reported: {inp.conclusion}; the report went to the committee")
            return inp.conclusion

    def _check_report(self, inp: InvestigationReportInput) -> None:
        investigator = self.s.investigator
        if investigator is None or self.s.report is not None or self.s.due is None:
            raise rejected(
                conflict("REPORT_NOT_OPEN", "当前不接受调查报告", "No investigation report is expected now")
            )
        if inp.actor.username != investigator.investigator:
            raise rejected(
                conflict(
                    "NOT_INVESTIGATOR",
                    "只有指定的调查人可以提交调查报告",
                    "Only the assigned investigator submits the report",
                )
            )
        if inp.conclusion not in {c.value for c in ObjectionConclusion}:
            raise rejected(
                invalid(
                    "CONCLUSION_INVALID",
                    "调查结论须为属实或不属实",
                    "The conclusion is SUBSTANTIATED or UNSUBSTANTIATED",
                )
            )
        if not inp.findings.strip():
            raise rejected(invalid("FINDINGS_REQUIRED", "请填写调查核实情况", "The findings are required"))

    _validate_report = submit_report.validator(guarded(_check_report, "submit_report"))

    @workflow.query
    def state(self) -> ObjectionState:
        s = self.s
        return ObjectionState(
            self.inp.objection_id,
            self.inp.application_id,
            s.stage,
            s.investigator.investigator if s.investigator else None,
            s.due,
            s.report.conclusion if s.report else "",
            s.waiting_for,
        )
