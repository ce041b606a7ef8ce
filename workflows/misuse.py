"""MisuseCaseWorkflow (`misuse-{case}`): a reported misuse of the award title (Art. 19, R19.1).

The office's order to correct by a deadline (责令限期改正) goes to the enterprise; a reminder comes
before the deadline; the enterprise reports its correction and the office verifies it. A correction
not accepted by the deadline is escalated to the office, and the case stays open until one is.
"""

from __future__ import annotations

from datetime import datetime

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.aftercare import AftercareActivities
    from config.constants import misuse_workflow_id
    from contracts.common import DeadlineMarks, NoticeInput
    from contracts.misuse import (
        CorrectionInput,
        MisuseCaseInput,
        MisuseCaseState,
        RecordMisuseInput,
        VerificationInput,
    )
    from domain import notices as texts
    from domain.aftercare import (
        MisuseKind,
        MisuseState,
        check_correction_report,
        check_verification,
        correction_due,
    )
    from domain.calendar import format_cst
    from domain.types import Audience, NoticeKind
    from workflows.common import InProgress, StepRetries, award_names, publish, record, wait_with_deadline


def misuse_record(
    case: MisuseCaseInput,
    state: MisuseState,
    at: datetime,
    actor: str,
    version: int,
    *,
    correction: str = "",
    note: str = "",
) -> RecordMisuseInput:
    """The record of a case in `state` (written by the award's update when the case opens, then
    by the case's workflow); the correction deadline follows from the order and the rules."""
    return RecordMisuseInput(
        case.case_id,
        misuse_workflow_id(case.case_id),
        case.award,
        case.kind,
        case.facts,
        case.evidence,
        case.source,
        str(state),
        case.actor.username,
        case.ordered_at,
        correction_due(case.ordered_at, case.award.aftercare),
        at,
        actor,
        correction=correction,
        verification_note=note,
        version=version,
    )


@workflow.defn
class MisuseCaseWorkflow(StepRetries):
    @workflow.init
    def __init__(self, inp: MisuseCaseInput) -> None:
        self.inp = inp
        self.state = MisuseState.CORRECTION_ORDERED
        self.due: datetime = correction_due(inp.ordered_at, inp.award.aftercare)
        self.escalations = 0
        self.marks = DeadlineMarks()
        self.version = 1  # the award's update wrote version 1 (the order); each record here counts up
        self.busy = InProgress()
        self.waiting_for = ""

    @workflow.run
    async def run(self, inp: MisuseCaseInput) -> str:
        a = inp.award
        # The award's update recorded the case before starting this workflow (readable at once).
        text = texts.misuse_correction_order(
            **award_names(a),
            case_id=inp.case_id,
            misuse=MisuseKind(inp.kind).name_zh,
            facts=inp.facts,
            due=self.due,
            issued_at=inp.ordered_at,
        )
        await self._notice("order", NoticeKind.MISUSE_CORRECTION_ORDER, text)
        self._wait(f"Correction ordered (责令限期改正), due {format_cst(self.due)} CST")

        # Until a correction is accepted: remind before the deadline while a correction is owed, and
        # escalate whenever one is owed past the deadline (also again after a late rejection).
        await wait_with_deadline(
            lambda: self.state is MisuseState.CORRECTED,
            due=lambda: self.due,
            remind_before=a.aftercare.misuse_reminder_before,
            marks=self.marks,
            remind=self._remind,
            escalate=self._overdue,
            watch=lambda: self.state,
            owed=lambda: self.state in (MisuseState.CORRECTION_ORDERED, MisuseState.OVERDUE),
            what="correction",
        )
        self._wait("Closed: the correction was verified (整改到位，结案)")
        await workflow.wait_condition(workflow.all_handlers_finished)
        return str(self.state)

    async def _remind(self, due: datetime) -> None:
        a = self.inp.award
        text = texts.misuse_deadline(
            enterprise_name=a.enterprise_name,
            case_id=self.inp.case_id,
            due=due,
            passed=False,
            issued_at=workflow.now(),
        )
        await self._notice("reminder", NoticeKind.MISUSE_REMINDER, text)

    async def _overdue(self, due: datetime) -> bool:
        self.state = MisuseState.OVERDUE
        self.escalations += 1
        await self._record(self.state, "system", workflow.now())
        text = texts.misuse_deadline(
            enterprise_name=self.inp.award.enterprise_name,
            case_id=self.inp.case_id,
            due=self.due,
            passed=True,
            issued_at=workflow.now(),
        )
        await self._notice(f"overdue-{self.escalations}", NoticeKind.MISUSE_OVERDUE, text, to_office=True)
        self._wait(
            f"OVERDUE since {format_cst(self.due)} CST: no accepted correction; the office follows it up"
        )
        return False

    # --- the enterprise reports, the office verifies ----------------------------------------------
    @workflow.update
    async def submit_correction(self, inp: CorrectionInput) -> str:
        with self.busy.running("correction", lambda: check_correction_report(self.state, inp.description)):
            # The state changes before the record is written: a deadline passing meanwhile finds
            # the correction reported in time, not owed.
            self.state = MisuseState.CORRECTION_REPORTED
            await self._record(
                MisuseState.CORRECTION_REPORTED,
                inp.actor.username,
                workflow.now(),
                correction=inp.description,
            )
            self._wait("Correction reported; waiting for the office to verify it (核实整改情况)")
            return str(self.state)

    @submit_correction.validator
    def _validate_correction(self, inp: CorrectionInput) -> None:
        self.busy.guard("correction", lambda: check_correction_report(self.state, inp.description))

    @workflow.update
    async def verify_correction(self, inp: VerificationInput) -> str:
        with self.busy.running(
            "verification", lambda: check_verification(self.state, inp.accepted, inp.note)
        ):
            a = self.inp.award
            if inp.accepted:
                await self._record(
                    MisuseState.CORRECTED, inp.actor.username, workflow.now(), note=inp.note or "核实已改正"
                )
                self.state = MisuseState.CORRECTED
            else:
                # Owed again; the run loop escalates at once if the deadline has passed.
                await self._record(
                    MisuseState.CORRECTION_ORDERED, inp.actor.username, workflow.now(), note=inp.note
                )
                self.state = MisuseState.CORRECTION_ORDERED
                self.marks.escalated_for = ""  # owed again: past the deadline it is escalated again
                self._wait(f"Correction not accepted; a correction is owed, due {format_cst(self.due)} CST")
            text = texts.misuse_verified(
                enterprise_name=a.enterprise_name,
                case_id=self.inp.case_id,
                accepted=inp.accepted,
                note=inp.note,
                due=self.due,
                issued_at=workflow.now(),
            )
            await self._notice(f"verified-{workflow.now().isoformat()}", NoticeKind.MISUSE_VERIFIED, text)
            return str(self.state)

    @verify_correction.validator
    def _validate_verification(self, inp: VerificationInput) -> None:
        self.busy.guard("verification", lambda: check_verification(self.state, inp.accepted, inp.note))

    @workflow.query
    def case_state(self) -> MisuseCaseState:
        return MisuseCaseState(
            self.inp.case_id, self.inp.award.certificate_number, str(self.state), self.due, self.waiting_for
        )

    # --- helpers ----------------------------------------------------------------------------------
    def _wait(self, text: str) -> None:
        self.waiting_for = text
        workflow.set_current_details(text)

    async def _record(
        self, state: MisuseState, actor: str, at: datetime, *, correction: str = "", note: str = ""
    ) -> None:
        self.version += 1
        await record(
            AftercareActivities.record_misuse,
            misuse_record(self.inp, state, at, actor, self.version, correction=correction, note=note),
            f"misuse case {state}",
        )

    async def _notice(
        self, key: str, kind: NoticeKind, text: texts.NoticeText, *, to_office: bool = False
    ) -> None:
        a = self.inp.award
        await publish(
            NoticeInput(
                f"misuse-{self.inp.case_id}-{key}",
                kind,
                Audience.OFFICE if to_office else Audience.ENTERPRISE,
                text.title,
                text.body,
                workflow.now(),
                cycle_year=a.year,
                enterprise_id=None if to_office else a.enterprise_id,
                application_id=a.application_id,
                recipient_role="office" if to_office else None,
            )
        )
