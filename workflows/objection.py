"""ObjectionWorkflow (`objection-{year}-{n}`): one objection filed during the public notice is
investigated (Art. 14(5)): an investigator is assigned, reports by a deadline, the report goes to
the committee (through the cycle)."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.committee import CommitteeActivities
    from contracts.common import NoticeInput
    from contracts.objection import (
        AssignInvestigatorInput,
        InvestigationReportInput,
        ObjectionConcluded,
        ObjectionState,
        ObjectionWorkflowInput,
        RecordInvestigationInput,
    )
    from domain.calendar import due_after, format_cst
    from domain.errors import conflict, invalid
    from domain.publicity import ObjectionConclusion
    from domain.types import Audience, NoticeKind
    from workflows.common import InProgress, publish, record, rejected


@workflow.defn
class ObjectionWorkflow:
    @workflow.init
    def __init__(self, inp: ObjectionWorkflowInput) -> None:
        self.inp = inp
        self.stage = "AWAITING_INVESTIGATOR"
        self.investigator: AssignInvestigatorInput | None = None
        self.due: datetime | None = None
        self.report: InvestigationReportInput | None = None
        self.busy = InProgress()
        self.waiting_for = "Waiting for the office to assign an investigator (指定调查人)"

    @workflow.run
    async def run(self, inp: ObjectionWorkflowInput) -> ObjectionConcluded:
        workflow.set_current_details(self.waiting_for)
        await workflow.wait_condition(lambda: self.investigator is not None)
        assert self.investigator is not None and self.due is not None
        self.stage = "INVESTIGATING"
        await self._notice(
            "assigned",
            NoticeKind.OBJECTION_ASSIGNED,
            f"异议调查任务（{inp.objection_id}）",
            f"{self.investigator.investigator}：请对公示期间针对“{inp.enterprise_name}”（{inp.application_id}）提出的异议"
            f"（{inp.objection_id}）进行调查核实，并于{format_cst(self.due)}前提交调查报告。",
        )
        remind_at = self.due - inp.rules.objection_reminder_before
        self._wait(
            f"Investigation by {self.investigator.investigator}, report due {format_cst(self.due)} CST"
        )
        try:
            await workflow.wait_condition(
                lambda: self.report is not None,
                timeout=max(remind_at - workflow.now(), timedelta(0)),
                timeout_summary="investigation reminder",
            )
        except TimeoutError:
            await self._notice(
                "reminder",
                NoticeKind.OBJECTION_REMINDER,
                f"异议调查提醒（{inp.objection_id}）",
                f"异议（{inp.objection_id}）的调查报告将于{format_cst(self.due)}到期，请按时提交。",
            )
            try:
                await workflow.wait_condition(
                    lambda: self.report is not None,
                    timeout=max(self.due - workflow.now(), timedelta(0)),
                    timeout_summary="investigation due",
                )
            except TimeoutError:
                await self._notice(
                    "overdue",
                    NoticeKind.OBJECTION_OVERDUE,
                    f"异议调查逾期（{inp.objection_id}）",
                    f"异议（{inp.objection_id}）的调查报告已于{format_cst(self.due)}逾期，请区评审办督办。",
                    to_office=True,
                )
                self._wait(
                    f"Investigation OVERDUE since {format_cst(self.due)} CST; the report is still awaited"
                )
                await workflow.wait_condition(lambda: self.report is not None)
        assert self.report is not None
        self.stage = "REPORTED"
        concluded = ObjectionConcluded(
            inp.objection_id, inp.application_id, self.report.conclusion, self.report.findings
        )
        await workflow.get_external_workflow_handle(inp.cycle_workflow_id).signal(
            "objection_concluded", concluded
        )
        self._wait(f"Reported: {self.report.conclusion}; the report went to the committee")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return concluded

    def _wait(self, text: str) -> None:
        self.waiting_for = text
        workflow.set_current_details(text)

    async def _notice(
        self, key: str, kind: NoticeKind, title: str, body: str, *, to_office: bool = False
    ) -> None:
        assert self.investigator is not None
        await publish(
            NoticeInput(
                f"objection-{self.inp.objection_id}-{key}",
                kind,
                Audience.OFFICE,
                title,
                body + "\n\n鹿城区政府质量奖评审委员会办公室",
                workflow.now(),
                cycle_year=self.inp.year,
                application_id=self.inp.application_id,
                recipient_user_id=None if to_office else self.investigator.investigator_user_id,
                recipient_role="office",
            )
        )

    @workflow.update
    async def assign_investigator(self, inp: AssignInvestigatorInput) -> datetime:
        with self.busy.running("assign_investigator"):
            return await self._assign_investigator(inp)

    async def _assign_investigator(self, inp: AssignInvestigatorInput) -> datetime:
        self._check_assign(inp)
        self.due = due_after(workflow.now(), self.inp.rules.objection_investigation_period)
        await record(
            CommitteeActivities.record_investigation,
            RecordInvestigationInput(
                self.inp.objection_id,
                "INVESTIGATING",
                workflow.now(),
                inp.investigator,
                self.due,
                actor=inp.actor,
            ),
            "record the investigator",
        )
        self.investigator = inp
        return self.due

    @assign_investigator.validator
    def _validate_assign(self, inp: AssignInvestigatorInput) -> None:
        self.busy.refuse_if_running("assign_investigator")
        self._check_assign(inp)

    def _check_assign(self, inp: AssignInvestigatorInput) -> None:
        if self.investigator is not None:
            raise rejected(
                conflict("INVESTIGATOR_ASSIGNED", "已指定调查人", "An investigator is already assigned")
            )

    @workflow.update
    async def submit_report(self, inp: InvestigationReportInput) -> str:
        with self.busy.running("submit_report"):
            return await self._submit_report(inp)

    async def _submit_report(self, inp: InvestigationReportInput) -> str:
        self._check_report(inp)
        await record(
            CommitteeActivities.record_investigation,
            RecordInvestigationInput(
                self.inp.objection_id,
                "REPORTED",
                workflow.now(),
                findings=inp.findings,
                conclusion=inp.conclusion,
                actor=inp.actor,
            ),
            "record the investigation report",
        )
        self.report = inp
        return inp.conclusion

    @submit_report.validator
    def _validate_report(self, inp: InvestigationReportInput) -> None:
        self.busy.refuse_if_running("submit_report")
        self._check_report(inp)

    def _check_report(self, inp: InvestigationReportInput) -> None:
        if self.investigator is None or self.report is not None:
            raise rejected(
                conflict("REPORT_NOT_OPEN", "当前不接受调查报告", "No investigation report is expected now")
            )
        if inp.actor.username != self.investigator.investigator:
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

    @workflow.query
    def state(self) -> ObjectionState:
        return ObjectionState(
            self.inp.objection_id,
            self.inp.application_id,
            self.stage,
            self.investigator.investigator if self.investigator else None,
            self.due,
            self.report.conclusion if self.report else "",
            self.waiting_for,
        )
