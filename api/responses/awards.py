"""What the routes of api/routes/awards.py answer: awards and their status, revocation, misuse
cases and follow-up rounds (Art. 17-19)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from db import models as m
from db.award_queries import AwardHistory


class AwardRecord(BaseModel):
    """An award as granted, with its status (Art. 17)."""

    certificate_number: str
    year: int
    award: str
    application_id: str
    enterprise_name: str
    status: str
    issued_at: datetime
    revoked_at: datetime | None
    revocation_document_no: str
    certificate_recovered_at: datetime | None
    trophy_recovered_at: datetime | None
    workflow_id: str

    @classmethod
    def of(cls, c: m.Certificate, enterprise_name: str) -> AwardRecord:
        return cls(
            certificate_number=c.number,
            year=c.cycle_year,
            award=c.award,
            application_id=c.application_id,
            enterprise_name=enterprise_name,
            status=c.status,
            issued_at=c.issued_at,
            revoked_at=c.revoked_at,
            revocation_document_no=c.revocation_document_no,
            certificate_recovered_at=c.certificate_recovered_at,
            trophy_recovered_at=c.trophy_recovered_at,
            workflow_id=c.workflow_id,
        )


class MediaExposureOut(BaseModel):
    """A revocation's exposure in the district's main news media (Art. 17: 在区级主要新闻媒体上予以曝光)."""

    case_id: str
    state: str
    due_at: datetime | None
    overdue_at: datetime | None
    medium: str | None
    published_at: datetime | None
    place: str
    url: str
    document_sha256: str | None
    note: str
    recorded_by: str | None
    recorded_at: datetime | None

    @classmethod
    def of(cls, x: m.MediaExposure) -> MediaExposureOut:
        return cls(
            case_id=x.case_id,
            state=x.state,
            due_at=x.due_at,
            overdue_at=x.overdue_at,
            medium=x.medium or None,
            published_at=x.published_at,
            place=x.place,
            url=x.url,
            document_sha256=x.document_sha256,
            note=x.note,
            recorded_by=x.recorded_by or None,
            recorded_at=x.recorded_at,
        )


class RevocationCaseOut(BaseModel):
    """A revocation case; its evidence and proposer are shown inside the administration only."""

    case_id: str
    state: str
    reason: str
    evidence: str | None
    proposed_by: str | None
    proposed_at: datetime
    decided_at: datetime | None
    document_no: str
    decision_reason: str
    media_exposure: MediaExposureOut | None

    @classmethod
    def of(cls, r: m.RevocationCase, exposure: MediaExposureOut | None, internal: bool) -> RevocationCaseOut:
        return cls(
            case_id=r.id,
            state=r.state,
            reason=r.reason,
            evidence=r.evidence if internal else None,
            proposed_by=r.proposed_by if internal else None,
            proposed_at=r.proposed_at,
            decided_at=r.decided_at,
            document_no=r.document_no,
            decision_reason=r.decision_reason,
            media_exposure=exposure,
        )


class MisuseCaseOut(BaseModel):
    """A misuse case (Art. 19); who reported it is shown inside the administration only."""

    case_id: str
    kind: str
    facts: str
    evidence: str
    source: str | None
    state: str
    ordered_at: datetime
    due_at: datetime
    correction: str
    correction_at: datetime | None
    verification_note: str
    closed_at: datetime | None

    @classmethod
    def fields_of(cls, x: m.MisuseCase, internal: bool) -> dict[str, object]:
        return {
            "case_id": x.id,
            "kind": x.kind,
            "facts": x.facts,
            "evidence": x.evidence,
            "source": x.source if internal else None,
            "state": x.state,
            "ordered_at": x.ordered_at,
            "due_at": x.due_at,
            "correction": x.correction,
            "correction_at": x.correction_at,
            "verification_note": x.verification_note,
            "closed_at": x.closed_at,
        }

    @classmethod
    def of(cls, x: m.MisuseCase, internal: bool) -> MisuseCaseOut:
        return cls.model_validate(cls.fields_of(x, internal))


class MisuseCaseDetail(MisuseCaseOut):
    """A misuse case with what its workflow waits for now (None when it cannot be asked)."""

    waiting_for: str | None


class FollowUpOut(BaseModel):
    """A follow-up round (Art. 18) and the experience published from it."""

    round: int
    state: str
    requested_at: datetime
    due_at: datetime
    report: str
    reported_at: datetime | None
    experience_title: str
    experience_published_at: datetime | None

    @classmethod
    def of(cls, f: m.FollowUp) -> FollowUpOut:
        return cls(
            round=f.round_no,
            state=f.state,
            requested_at=f.requested_at,
            due_at=f.due_at,
            report=f.report,
            reported_at=f.reported_at,
            experience_title=f.experience_title,
            experience_published_at=f.experience_published_at,
        )


class AwardDetail(AwardRecord):
    """One award: its record, what its workflow waits for (None when it cannot be asked), its
    revocation and misuse cases and its follow-up rounds."""

    waiting_for: str | None
    revocations: list[RevocationCaseOut]
    media_exposure: MediaExposureOut | None  # of the latest revocation that has one
    misuse_cases: list[MisuseCaseOut]
    follow_ups: list[FollowUpOut]

    @classmethod
    def with_history(
        cls,
        c: m.Certificate,
        enterprise_name: str,
        history: AwardHistory,
        waiting_for: str | None,
        *,
        internal: bool,
    ) -> AwardDetail:
        exposures = {x.case_id: MediaExposureOut.of(x) for x in history.media_exposures}
        revocations = history.revocations
        return cls(
            **AwardRecord.of(c, enterprise_name).model_dump(),
            waiting_for=waiting_for,
            revocations=[RevocationCaseOut.of(r, exposures.get(r.id), internal) for r in revocations],
            media_exposure=next((exposures[r.id] for r in reversed(revocations) if r.id in exposures), None),
            misuse_cases=[MisuseCaseOut.of(x, internal) for x in history.misuse_cases],
            follow_ups=[FollowUpOut.of(f) for f in history.follow_ups],
        )


class CertificateCheck(BaseModel):
    """What the public learns of a certificate: valid or revoked (R15.1)."""

    certificate_number: str
    year: int
    award: str
    enterprise_name: str
    valid: bool
    status: str  # 有效 or 已撤销
    revoked_at: datetime | None
    revocation_document_no: str | None

    @classmethod
    def of(cls, c: m.Certificate, enterprise_name: str) -> CertificateCheck:
        revoked = c.status == "REVOKED"
        return cls(
            certificate_number=c.number,
            year=c.cycle_year,
            award=c.award,
            enterprise_name=enterprise_name,
            valid=not revoked,
            status="已撤销" if revoked else "有效",
            revoked_at=c.revoked_at,
            revocation_document_no=c.revocation_document_no or None,
        )


class RevocationProposed(BaseModel):
    certificate_number: str
    case_id: str
    status: str  # REVOCATION_PROPOSED


class AwardStatusOut(BaseModel):
    """The award's status after the government's decision on a revocation."""

    certificate_number: str
    status: str


class RecoveryOut(BaseModel):
    certificate_number: str
    recovered: list[str]  # CERTIFICATE, TROPHY: what has been recovered so far


class ExposureRecorded(BaseModel):
    certificate_number: str
    case_id: str
    state: str  # PUBLISHED


class MisuseCaseOpened(BaseModel):
    case_id: str
    workflow_id: str
    due_at: datetime  # of the correction (责令限期改正)


class MisuseCaseStateOut(BaseModel):
    case_id: str
    state: str


class FollowUpRecorded(BaseModel):
    certificate_number: str
    round: int
    state: str  # REPORTED or PUBLISHED
