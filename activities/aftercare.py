"""Records after the award (Art. 17-19): revocation cases and the registry entry that starts the
5-year ban, recoveries of certificate and trophy, misuse cases, follow-up rounds.

Every write is an idempotent upsert keyed by a business id, with an audit row keyed the same way:
an activity retried after a crash writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.award import (
    RecordFollowUpInput,
    RecordMediaExposureInput,
    RecordRecoveryInput,
    RecordRevocationInput,
)
from contracts.misuse import RecordMisuseInput
from db import award_queries as aq
from db import models as m
from db import repositories as repo
from domain.aftercare import AwardStatus, ExposureState, ban_starts


class AftercareActivities:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def _certificate(self, s: AsyncSession, number: str) -> m.Certificate:
        c = await aq.certificate(s, number, for_update=True)
        if c is None:
            raise ApplicationError(f"certificate {number} not found", non_retryable=True)
        return c

    @activity.defn
    async def record_revocation(self, inp: RecordRevocationInput) -> None:
        """The proposal, and the government's decision on it. An approval revokes the certificate and
        enters the award in the revocation registry (R17.1), which starts the 5-year ban."""
        a = inp.award
        async with self.sessions.begin() as s:
            c = await self._certificate(s, a.certificate_number)
            row = await aq.revocation_case(s, inp.case_id)
            if row is None:
                row = m.RevocationCase(
                    id=inp.case_id,
                    certificate_number=a.certificate_number,
                    reason=inp.reason,
                    evidence=inp.evidence,
                    proposed_by=inp.proposed_by,
                    proposed_at=inp.proposed_at,
                )
                s.add(row)
            row.state = inp.state
            if inp.state == "PROPOSED":
                c.status = AwardStatus.REVOCATION_PROPOSED
            else:
                row.decided_by, row.decided_at = inp.decided_by, inp.decided_at
                row.document_no, row.decision_reason = inp.document_no, inp.decision_reason
            if inp.state == "REJECTED":
                c.status = AwardStatus.ACTIVE
            if inp.state == "APPROVED":
                assert inp.decided_at is not None
                c.status, c.revoked_at, c.revocation_document_no = (
                    AwardStatus.REVOKED,
                    inp.decided_at,
                    inp.document_no,
                )
                await aq.register_revocation(
                    s,
                    credit_code=a.credit_code,
                    award=a.award,
                    award_year=a.year,
                    revoked_on=ban_starts(inp.decided_at),
                    reason=inp.reason,
                    document_no=inp.document_no,
                    recorded_by=inp.decided_by,
                )
            actor = inp.proposed_by if inp.state == "PROPOSED" else inp.decided_by
            await repo.audit_by(
                s,
                repo.Named(actor, "committee" if inp.state == "PROPOSED" else "government"),
                f"REVOCATION_{inp.state}",
                "certificate",
                a.certificate_number,
                at=inp.proposed_at if inp.state == "PROPOSED" else (inp.decided_at or inp.proposed_at),
                reason=inp.reason if inp.state == "PROPOSED" else inp.decision_reason,
                details={"case_id": inp.case_id, "document_no": inp.document_no},
                key=f"revocation-{inp.case_id}-{inp.state}",
            )

    @activity.defn
    async def record_recovery(self, inp: RecordRecoveryInput) -> None:
        async with self.sessions.begin() as s:
            c = await self._certificate(s, inp.certificate_number)
            if inp.item == "CERTIFICATE":
                c.certificate_recovered_at = c.certificate_recovered_at or inp.at
            else:
                c.trophy_recovered_at = c.trophy_recovered_at or inp.at
            await repo.audit_by(
                s,
                repo.Named(inp.actor, "office"),
                f"{inp.item}_RECOVERED",
                "certificate",
                inp.certificate_number,
                at=inp.at,
                reason=inp.note,
                key=f"recovery-{inp.certificate_number}-{inp.item}",
            )

    @activity.defn
    async def record_media_exposure(self, inp: RecordMediaExposureInput) -> None:
        """The revocation's exposure in the news media (Art. 17): owed from the approval, overdue
        past its due time, published when the office records it. A state never moves back: an
        overdue record arriving after the publication changes nothing but its own audit row."""
        state = ExposureState(inp.state)
        async with self.sessions.begin() as s:
            row = await aq.media_exposure(s, inp.case_id, for_update=True)
            if row is None:
                row = m.MediaExposure(
                    case_id=inp.case_id,
                    certificate_number=inp.certificate_number,
                    state=state,
                    due_at=inp.due_at,
                    medium="",
                    place="",
                    url="",
                    note="",
                    recorded_by="",
                )
                s.add(row)
            if state.rank >= ExposureState(row.state).rank:
                row.state = state
            row.due_at = row.due_at or inp.due_at
            if state is ExposureState.OVERDUE:
                row.overdue_at = row.overdue_at or inp.at
            if state is ExposureState.PUBLISHED:
                row.medium, row.published_at, row.place, row.url = (
                    inp.medium,
                    inp.published_at,
                    inp.place,
                    inp.url,
                )
                row.document_sha256, row.note = inp.document_sha256, inp.note
                row.recorded_by, row.recorded_at = inp.actor, inp.at
            await repo.audit_by(
                s,
                repo.Named(inp.actor, "office" if state is ExposureState.PUBLISHED else "system"),
                f"MEDIA_EXPOSURE_{state}",
                "certificate",
                inp.certificate_number,
                at=inp.at,
                reason=inp.note,
                details={
                    "case_id": inp.case_id,
                    "due_at": inp.due_at.isoformat() if inp.due_at else None,
                    "medium": inp.medium,
                    "published_at": inp.published_at.isoformat() if inp.published_at else None,
                    "place": inp.place,
                    "url": inp.url,
                    "document_sha256": inp.document_sha256,
                },
                key=f"media-exposure-{inp.case_id}-{state}",
            )

    @activity.defn
    async def record_misuse(self, inp: RecordMisuseInput) -> None:
        async with self.sessions.begin() as s:
            row = await aq.misuse_case(s, inp.case_id, for_update=True)
            if row is None:
                row = m.MisuseCase(
                    id=inp.case_id,
                    certificate_number=inp.award.certificate_number,
                    enterprise_id=inp.award.enterprise_id,
                    kind=inp.kind,
                    facts=inp.facts,
                    evidence=inp.evidence,
                    source=inp.source,
                    opened_by=inp.opened_by,
                    ordered_at=inp.ordered_at,
                    due_at=inp.due_at,
                    workflow_id=inp.workflow_id,
                )
                s.add(row)
            if inp.version >= (row.version or 0):  # a record written late never undoes a newer one
                row.state, row.version = inp.state, inp.version
                if inp.correction:
                    row.correction, row.correction_at = inp.correction, inp.at
                if inp.verification_note or inp.state == "CORRECTED":
                    row.verified_by, row.verification_note = inp.actor, inp.verification_note
                if inp.state == "CORRECTED":
                    row.closed_at = inp.at
            await repo.audit_by(
                s,
                repo.Named(inp.actor, "enterprise" if inp.state == "CORRECTION_REPORTED" else "office"),
                f"MISUSE_{inp.state}",
                "misuse_case",
                inp.case_id,
                at=inp.at,
                reason=inp.verification_note or inp.correction or inp.facts,
                details={"certificate_number": inp.award.certificate_number, "kind": inp.kind},
                key=f"misuse-{inp.case_id}-{inp.state}-{inp.at.isoformat()}",
            )

    @activity.defn
    async def record_follow_up(self, inp: RecordFollowUpInput) -> None:
        async with self.sessions.begin() as s:
            row = await aq.follow_up_locked(s, inp.certificate_number, inp.round_no)
            if row is None:
                row = m.FollowUp(
                    certificate_number=inp.certificate_number,
                    round_no=inp.round_no,
                    requested_at=inp.requested_at,
                    due_at=inp.due_at,
                )
                s.add(row)
            if inp.version >= (row.version or 0):  # a record written late never undoes a newer one
                row.state, row.version = inp.state, inp.version
            if inp.report:
                row.report, row.reported_by, row.reported_at = inp.report, inp.actor, inp.at
            if inp.experience_title:
                row.experience_title, row.experience_published_at = inp.experience_title, inp.at
            await repo.audit_by(
                s,
                repo.Named(
                    inp.actor, {"REPORTED": "enterprise", "PUBLISHED": "office"}.get(inp.state, "system")
                ),
                f"FOLLOW_UP_{inp.state}",
                "certificate",
                inp.certificate_number,
                at=inp.at,
                reason=inp.experience_title,
                details={"round": inp.round_no},
                key=f"follow-up-{inp.certificate_number}-{inp.round_no}-{inp.state}",
            )

    def all(self) -> list[Callable[..., Any]]:
        return [
            self.record_revocation,
            self.record_recovery,
            self.record_misuse,
            self.record_follow_up,
            self.record_media_exposure,
        ]
