"""AwardWorkflow (`award-{application}`): a winner's award, long-lived (Art. 17-19).

It holds the award for years:
- **follow-up (R18.1)**: on each anniversary, for the rounds the rules name, the winner is asked for
  its follow-up report (跟踪回访) by a due date; a missed date is escalated to the office and a late
  report is still taken; the office may publish the experience from a report (经验推广);
- **misuse (R19.1)**: each reported misuse of the title opens a MisuseCaseWorkflow child with its
  correction deadline;
- **revocation (R17.2)**: the committee proposes, the government approves or rejects; an approval
  revokes the title, publishes the revocation, enters the 5-year ban (R17.1) and waits until the
  office has recovered the certificate and the trophy and recorded the revocation's exposure in the
  district's main news media (Art. 17, 在区级主要新闻媒体上予以曝光; reminded before its due time,
  escalated to the office after it); then the award's workflow ends.

Awards started before this behaviour (their histories carry no `award-aftercare` marker) keep
waiting as they did; the updates work on them too. A revocation approved before the media exposure
step (no `award-media-exposure` marker at that point of its history) waits for the recovery only;
the office may still record its exposure while the workflow runs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypedDict

from temporalio import workflow
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from activities.aftercare import AftercareActivities
    from config.temporal import SA_STAGE
    from contracts.award import (
        AwardFacts,
        AwardState,
        ExperienceInput,
        FollowUpReportInput,
        FollowUpRound,
        MediaExposureInput,
        MisuseOpened,
        MisuseReportInput,
        RecordFollowUpInput,
        RecordMediaExposureInput,
        RecordRecoveryInput,
        RecordRevocationInput,
        RecoveryInput,
        RevocationDecisionInput,
        RevocationProposalInput,
    )
    from contracts.common import DeadlineMarks, NoticeInput
    from contracts.misuse import MisuseCaseInput
    from domain import notices as texts
    from domain.aftercare import (
        AwardStatus,
        ExposureState,
        FollowUpState,
        MisuseState,
        ban_starts,
        check_experience,
        check_follow_up_report,
        check_media_exposure,
        check_misuse_report,
        check_recovery,
        check_revocation_decision,
        check_revocation_proposal,
        exposure_due,
        follow_up_due,
        reported,
    )
    from domain.calendar import format_cst
    from domain.eligibility import ban_end
    from domain.facts import Revocation
    from domain.types import Audience, NoticeKind
    from workflows.common import (
        InProgress,
        StepRetries,
        award_names,
        guarded,
        publish,
        record,
        wait_with_deadline,
    )
    from workflows.misuse import MisuseCaseWorkflow, misuse_record

AFTERCARE = "award-aftercare"
# Art. 17's exposure in the news media after a revocation: a new path, taken only by revocations
# approved once this code runs (a history revoked before it replays without the step).
MEDIA_EXPOSURE = "award-media-exposure"


class Publication(TypedDict):
    """Where and when the revocation was exposed in the news media (Art. 17), as recorded."""

    medium: str
    published_at: datetime
    place: str
    url: str


def publication(inp: MediaExposureInput) -> Publication:
    return Publication(medium=inp.medium, published_at=inp.published_at, place=inp.place, url=inp.url)


@workflow.defn
class AwardWorkflow(StepRetries):
    @workflow.init
    def __init__(self, facts: AwardFacts) -> None:
        self.facts = facts
        self.ended = False
        self.status = AwardStatus.ACTIVE
        self.proposal: RevocationProposalInput | None = None
        self.proposals = 0
        self.proposed_at = facts.issued_at
        self.revoked_at: datetime | None = None
        self.recovered: set[str] = set()
        self.rounds: dict[int, FollowUpRound] = {}
        self.open_round: int | None = None
        self.misuse_cases: list[str] = []
        self.version = 0  # numbers the follow-up records: an older one never overwrites a newer
        self.busy = InProgress()
        self.waiting_for = ""
        self.exposure: ExposureState | None = None  # the revocation's exposure (Art. 17), once owed
        self.exposed = False
        self.exposure_marks = DeadlineMarks()

    @workflow.run
    async def run(self, facts: AwardFacts) -> AwardFacts:
        held = (
            f"Awarded: certificate {facts.certificate_number}, approved by {facts.approval_document_no}; "
            "holds the award for follow-up, misuse cases and revocation"
        )
        self._wait(held)
        if not workflow.patched(AFTERCARE):
            await workflow.wait_condition(lambda: self.ended)
            return self.facts

        rules = facts.aftercare
        for n in range(1, rules.follow_up_rounds + 1):
            opens, due = follow_up_due(facts.issued_at, rules, n)
            self._wait(f"{held}. Follow-up round {n} opens {format_cst(opens)} CST")
            if await self._revoked_by(opens):
                break
            await self._open_round(n, due)
            if await self._reported_or_revoked_by(n, due):
                continue
            if self.status is AwardStatus.REVOKED:
                break
            await self._round_overdue(n, due)
        if self.status is not AwardStatus.REVOKED:
            self._wait(f"{held}. Follow-up rounds done")
        await workflow.wait_condition(lambda: self.status is AwardStatus.REVOKED)
        self.open_round = None
        if workflow.patched(MEDIA_EXPOSURE):
            await self._media_exposure()  # 在区级主要新闻媒体上予以曝光 (Art. 17)
        self._wait(
            f"Revoked {format_cst(self.revoked_at)} CST; waiting for the office to recover the certificate "
            "and the trophy (收回证书、奖杯)"
            if self.revoked_at
            else "Revoked"
        )
        await workflow.wait_condition(lambda: len(self.recovered) == 2)
        self._wait(
            "Revoked; exposed in the news media; certificate and trophy recovered. Closed."
            if self.exposed
            else "Revoked; certificate and trophy recovered. Closed."
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.facts

    # --- follow-up (R18.1) -------------------------------------------------------------------------
    async def _revoked_by(self, at: datetime) -> bool:
        return await self._until(lambda: self.status is AwardStatus.REVOKED, at, "follow-up round opens")

    async def _reported_or_revoked_by(self, n: int, due: datetime) -> bool:
        return await self._until(
            lambda: self._reported(n) or self.status is AwardStatus.REVOKED, due, "follow-up report due"
        ) and self._reported(n)

    @staticmethod
    async def _until(condition: Callable[[], bool], at: datetime, summary: str) -> bool:
        try:
            await workflow.wait_condition(
                condition, timeout=max(at - workflow.now(), timedelta(0)), timeout_summary=summary
            )
        except TimeoutError:
            return condition()
        return True

    async def _open_round(self, n: int, due: datetime) -> None:
        f, now = self.facts, workflow.now()
        self.rounds[n] = FollowUpRound(n, FollowUpState.REQUESTED, now, due)
        await self._record_round(n, FollowUpState.REQUESTED, now)
        if self.status is AwardStatus.REVOKED:  # revoked while the round was being recorded
            return
        self.open_round = n
        text = texts.follow_up_request(**award_names(f), round_no=n, due=due, issued_at=now)
        await self._notice(f"follow-up-{n}", NoticeKind.FOLLOW_UP_REQUEST, text, Audience.ENTERPRISE)
        self._wait(f"Follow-up round {n}: waiting for the winner's report, due {format_cst(due)} CST")

    async def _round_overdue(self, n: int, due: datetime) -> None:
        f = self.facts
        self.rounds[n].state = FollowUpState.OVERDUE
        await self._record_round(n, FollowUpState.OVERDUE, workflow.now())
        if self.status is AwardStatus.REVOKED or self._reported(n):  # changed while recording
            return
        text = texts.follow_up_overdue(
            enterprise_name=f.enterprise_name,
            number=f.certificate_number,
            round_no=n,
            due=due,
            issued_at=workflow.now(),
        )
        await self._notice(f"follow-up-{n}-overdue", NoticeKind.FOLLOW_UP_OVERDUE, text, Audience.OFFICE)

    async def _record_round(
        self,
        n: int,
        state: FollowUpState,
        at: datetime,
        *,
        actor: str = "system",
        report: str = "",
        title: str = "",
    ) -> None:
        r = self.rounds[n]
        self.version += 1
        await record(
            AftercareActivities.record_follow_up,
            RecordFollowUpInput(
                self.facts.certificate_number,
                n,
                str(state),
                r.requested_at,
                r.due_at,
                at,
                actor,
                report,
                title,
                version=self.version,
            ),
            f"follow-up round {n} {state}",
        )

    @workflow.update
    async def submit_follow_up(self, inp: FollowUpReportInput) -> int:
        with self.busy.running(
            "follow_up", lambda: check_follow_up_report(self.status, self.open_round, inp.text)
        ) as n:
            # Taken before the record is written: a due date passing meanwhile finds it reported.
            self.rounds[n].state = FollowUpState.REPORTED
            if self.open_round == n:
                self.open_round = None
            await self._record_round(
                n, FollowUpState.REPORTED, workflow.now(), actor=inp.actor.username, report=inp.text
            )
            return n

    @submit_follow_up.validator
    def _validate_follow_up(self, inp: FollowUpReportInput) -> None:
        self.busy.guard("follow_up", lambda: check_follow_up_report(self.status, self.open_round, inp.text))

    @workflow.update
    async def publish_experience(self, inp: ExperienceInput) -> int:
        with self.busy.running("experience", lambda: self._check_experience(inp)):
            f = self.facts
            text = texts.experience(
                **award_names(f),
                title=inp.title,
                text=inp.text,
                issued_at=workflow.now(),
            )
            await self._notice(f"experience-{inp.round_no}", NoticeKind.EXPERIENCE, text, Audience.PUBLIC)
            await self._record_round(
                inp.round_no,
                FollowUpState.PUBLISHED,
                workflow.now(),
                actor=inp.actor.username,
                title=inp.title,
            )
            self.rounds[inp.round_no].state = FollowUpState.PUBLISHED
            return inp.round_no

    def _check_experience(self, inp: ExperienceInput) -> None:
        check_experience(self.status, inp.round_no, self._round_state(inp.round_no), inp.title, inp.text)

    _validate_experience = publish_experience.validator(guarded(_check_experience, "experience"))

    # --- misuse (R19.1) ----------------------------------------------------------------------------
    @workflow.update
    async def report_misuse(self, inp: MisuseReportInput) -> MisuseOpened:
        with self.busy.running(
            "award-status", lambda: check_misuse_report(self.status, inp.kind, inp.facts)
        ) as kind:
            now = workflow.now()
            case_id = f"{self.facts.certificate_number}-M{len(self.misuse_cases) + 1}"
            case = MisuseCaseInput(
                case_id, self.facts, str(kind), inp.facts, inp.evidence, inp.source, inp.actor, now
            )
            opened = misuse_record(case, MisuseState.CORRECTION_ORDERED, now, inp.actor.username, 1)
            # Recorded before the case's workflow starts: the case reads as soon as this update returns.
            await record(AftercareActivities.record_misuse, opened, "misuse case opened")
            await workflow.start_child_workflow(
                MisuseCaseWorkflow.run,
                case,
                id=opened.workflow_id,
                parent_close_policy=ParentClosePolicy.ABANDON,
                static_summary=f"Misuse case {case_id}: {kind.name_zh} ({self.facts.enterprise_name})",
            )
            self.misuse_cases.append(case_id)
            return MisuseOpened(case_id, opened.workflow_id, opened.due_at)

    @report_misuse.validator
    def _validate_misuse(self, inp: MisuseReportInput) -> None:
        self.busy.guard("award-status", lambda: check_misuse_report(self.status, inp.kind, inp.facts))

    # --- revocation (R17.2) ------------------------------------------------------------------------
    @workflow.update
    async def propose_revocation(self, inp: RevocationProposalInput) -> str:
        with self.busy.running(
            "award-status", lambda: check_revocation_proposal(self.status, inp.reason, inp.evidence)
        ):
            f = self.facts
            self.proposals += 1
            self.proposal, self.proposed_at = inp, workflow.now()
            await record(
                AftercareActivities.record_revocation,
                self._revocation_record("PROPOSED"),
                "revocation proposed",
            )
            self.status = AwardStatus.REVOCATION_PROPOSED
            text = texts.revocation_proposed(
                **award_names(f),
                number=f.certificate_number,
                reason=inp.reason,
                issued_at=workflow.now(),
            )
            await self._notice(
                f"revocation-{self.proposals}-proposed",
                NoticeKind.REVOCATION_PROPOSED,
                text,
                Audience.ENTERPRISE,
            )
            self._wait("Revocation proposed by the committee; waiting for the district government's decision")
            return self._case_id()

    @propose_revocation.validator
    def _validate_proposal(self, inp: RevocationProposalInput) -> None:
        self.busy.guard(
            "award-status", lambda: check_revocation_proposal(self.status, inp.reason, inp.evidence)
        )

    @workflow.update
    async def decide_revocation(self, inp: RevocationDecisionInput) -> str:
        with self.busy.running(
            "award-status",
            lambda: check_revocation_decision(self.status, inp.approved, inp.document_no, inp.reason),
        ):
            assert self.proposal is not None
            f, now = self.facts, workflow.now()
            state = "APPROVED" if inp.approved else "REJECTED"
            await record(
                AftercareActivities.record_revocation,
                self._revocation_record(state, inp, now),
                f"revocation {state.lower()}",
            )
            ban_until = None
            if inp.approved:
                self.status, self.revoked_at = AwardStatus.REVOKED, now
                self.open_round = None
                workflow.upsert_search_attributes([SA_STAGE.value_set("REVOKED")])
                ban_until = ban_end(
                    Revocation(f.credit_code, f.award, f.year, ban_starts(now), self.proposal.reason),
                    f.aftercare.holiday_calendar,
                )
            else:
                self.status = AwardStatus.ACTIVE
                self._wait("Revocation rejected by the government; the award stands")
            text = texts.revocation_decision(
                **award_names(f),
                number=f.certificate_number,
                approved=inp.approved,
                document_no=inp.document_no,
                reason=self.proposal.reason if inp.approved else inp.reason,
                ban_until=ban_until,
                issued_at=now,
            )
            key = f"revocation-{self.proposals}"
            await self._notice(f"{key}-decision", NoticeKind.REVOCATION_DECISION, text, Audience.ENTERPRISE)
            if inp.approved:
                announcement = texts.revocation_announcement(
                    **award_names(f),
                    number=f.certificate_number,
                    reason=self.proposal.reason,
                    document_no=inp.document_no,
                    issued_at=now,
                )
                await self._notice(
                    f"{key}-announcement", NoticeKind.REVOCATION_ANNOUNCEMENT, announcement, Audience.PUBLIC
                )
            return str(self.status)

    @decide_revocation.validator
    def _validate_decision(self, inp: RevocationDecisionInput) -> None:
        self.busy.guard(
            "award-status",
            lambda: check_revocation_decision(self.status, inp.approved, inp.document_no, inp.reason),
        )

    @workflow.update
    async def record_recovery(self, inp: RecoveryInput) -> list[str]:
        with self.busy.running(
            "recovery", lambda: check_recovery(self.status, inp.item, self.recovered)
        ) as item:
            await record(
                AftercareActivities.record_recovery,
                RecordRecoveryInput(
                    self.facts.certificate_number, str(item), inp.note, inp.actor.username, workflow.now()
                ),
                f"{item.value.lower()} recovered",
            )
            self.recovered.add(str(item))
            return sorted(self.recovered)

    @record_recovery.validator
    def _validate_recovery(self, inp: RecoveryInput) -> None:
        self.busy.guard("recovery", lambda: check_recovery(self.status, inp.item, self.recovered))

    # --- exposure in the news media (Art. 17) --------------------------------------------------------
    async def _media_exposure(self) -> None:
        """Owed from the approval; the office is reminded before the due time and told once it has
        passed (the exposure stays owed until recorded); the recovery may come in meanwhile."""
        rules, case = self.facts.aftercare, self._case_id()
        revoked_at = self.revoked_at or workflow.now()  # always set by the approval
        due = exposure_due(revoked_at, rules)
        if not self.exposed:
            self.exposure = ExposureState.OWED
            await self._record_exposure(
                RecordMediaExposureInput(case, self.facts.certificate_number, "OWED", due, workflow.now())
            )
        self._wait(
            f"Revoked {format_cst(revoked_at)} CST; waiting for the office to record the exposure in the "
            f"district's main news media (区级主要新闻媒体曝光), due {format_cst(due)} CST, and to recover the "
            "certificate and the trophy"
        )
        await wait_with_deadline(
            lambda: self.exposed,
            due=lambda: due,
            remind_before=rules.media_exposure_reminder_before,
            marks=self.exposure_marks,
            remind=self._exposure_reminder,
            escalate=self._exposure_overdue,
            # not while one is being recorded; a recording refused (bad data) re-evaluates the wait
            owed=lambda: "media-exposure" not in self.busy.steps,
            watch=lambda: "media-exposure" in self.busy.steps,
            what="media exposure",
        )

    async def _exposure_reminder(self, due: datetime) -> None:
        f = self.facts
        text = texts.media_exposure_reminder(
            **award_names(f),
            number=f.certificate_number,
            due=due,
            issued_at=workflow.now(),
        )
        await self._notice(
            f"{self._case_id()}-exposure-reminder", NoticeKind.MEDIA_EXPOSURE_REMINDER, text, Audience.OFFICE
        )

    async def _exposure_overdue(self, due: datetime) -> bool:
        f, now = self.facts, workflow.now()
        if not self.exposed:
            self.exposure = ExposureState.OVERDUE
        await self._record_exposure(
            RecordMediaExposureInput(self._case_id(), f.certificate_number, "OVERDUE", due, now)
        )
        if not self.exposed:
            text = texts.media_exposure_overdue(
                **award_names(f),
                number=f.certificate_number,
                due=due,
                issued_at=now,
            )
            await self._notice(
                f"{self._case_id()}-exposure-overdue",
                NoticeKind.MEDIA_EXPOSURE_OVERDUE,
                text,
                Audience.OFFICE,
            )
        return False  # still owed: the workflow waits for the office to record it

    async def _record_exposure(self, inp: RecordMediaExposureInput) -> None:
        await record(AftercareActivities.record_media_exposure, inp, f"media exposure {inp.state.lower()}")

    @workflow.update
    async def record_media_exposure(self, inp: MediaExposureInput) -> str:
        with self.busy.running("media-exposure", lambda: self._check_exposure(inp)):
            f, now = self.facts, workflow.now()
            due = exposure_due(self.revoked_at, f.aftercare) if self.revoked_at else None
            await self._record_exposure(
                RecordMediaExposureInput(
                    self._case_id(),
                    f.certificate_number,
                    "PUBLISHED",
                    due,
                    now,
                    actor=inp.actor.username,
                    **publication(inp),
                    document_sha256=inp.document_sha256,
                    note=inp.note,
                )
            )
            self.exposed, self.exposure = True, ExposureState.PUBLISHED
            return self._case_id()

    def _check_exposure(self, inp: MediaExposureInput) -> None:
        check_media_exposure(
            self.status,
            self.exposed,
            **publication(inp),
            revoked_at=self.revoked_at,
            now=workflow.now(),
        )

    _validate_exposure = record_media_exposure.validator(guarded(_check_exposure, "media-exposure"))

    def _round_state(self, n: int) -> FollowUpState | None:
        r = self.rounds.get(n)
        return FollowUpState(r.state) if r else None

    def _reported(self, n: int) -> bool:
        return reported(self._round_state(n))

    def _case_id(self) -> str:
        return f"{self.facts.certificate_number}-R{self.proposals}"

    def _revocation_record(
        self, state: str, decision: RevocationDecisionInput | None = None, at: datetime | None = None
    ) -> RecordRevocationInput:
        p = self.proposal
        assert p is not None
        return RecordRevocationInput(
            self._case_id(),
            self.facts,
            state,
            p.reason,
            p.evidence,
            p.actor.username,
            self.proposed_at,
            decided_by=decision.actor.username if decision else "",
            decided_at=at,
            document_no=decision.document_no if decision else "",
            decision_reason=decision.reason if decision else "",
        )

    # --- queries and helpers ------------------------------------------------------------------------
    @workflow.query
    def award_facts(self) -> AwardFacts:
        return self.facts

    @workflow.query
    def award_state(self) -> AwardState:
        return AwardState(
            self.facts.certificate_number,
            str(self.status),
            [self.rounds[n] for n in sorted(self.rounds)],
            list(self.misuse_cases),
            sorted(self.recovered),
            self.waiting_for,
            self.revoked_at,
            str(self.exposure) if self.exposure else "",
        )

    def _wait(self, text: str) -> None:
        self.waiting_for = text
        workflow.set_current_details(text)

    async def _notice(self, key: str, kind: NoticeKind, text: texts.NoticeText, audience: Audience) -> None:
        f = self.facts
        await publish(
            NoticeInput(
                f"award-{f.certificate_number}-{key}",
                kind,
                audience,
                text.title,
                text.body,
                workflow.now(),
                cycle_year=f.year,
                enterprise_id=f.enterprise_id if audience is Audience.ENTERPRISE else None,
                application_id=f.application_id,
                recipient_role="office" if audience is Audience.OFFICE else None,
            )
        )
