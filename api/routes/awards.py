"""After the award (Art. 17-19): the awards and their status, revocation, misuse cases, follow-up.

Who acts:
- revocation: the chair or a vice-chair of the committee in office proposes (区评委会提请), the
  district government approves with its document number or rejects; the office records the
  recovery of the certificate and the trophy;
- misuse: the office opens a case (责令限期改正); the enterprise reports its correction; the office
  verifies it;
- follow-up: the enterprise submits its report for the open round; the office publishes experience.
Anyone may check whether a certificate is valid (`/public/certificates/{number}`).

Each route is its role gate, the award (api/resources/award.py) or the misuse case
(api/resources/case.py) it names, and one call of its workflow.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from contracts.award import (
    ExperienceInput,
    FollowUpReportInput,
    MediaExposureInput,
    MisuseOpened,
    MisuseReportInput,
    RecoveryInput,
    RevocationDecisionInput,
    RevocationProposalInput,
)
from contracts.misuse import CorrectionInput, VerificationInput
from db import award_queries as aq
from db import repositories as repo
from domain.errors import invalid
from domain.types import Role
from workflows.award import AwardWorkflow
from workflows.misuse import MisuseCaseWorkflow

from ..deps import CurrentUser, Session, User, gate, idempotent
from ..errors import forbidden, not_found
from ..resources.award import AWARD_READERS, AwardOf
from ..resources.case import CaseOf
from ..responses.awards import (
    AwardDetail,
    AwardRecord,
    AwardStatusOut,
    CertificateCheck,
    ExposureRecorded,
    FollowUpRecorded,
    MisuseCaseDetail,
    MisuseCaseOpened,
    MisuseCaseOut,
    MisuseCaseStateOut,
    RecoveryOut,
    RevocationProposed,
)
from ..schemas import (
    CorrectionIn,
    ExperienceIn,
    FollowUpReportIn,
    MediaExposureIn,
    MisuseReportIn,
    RecoveryIn,
    RevocationDecisionIn,
    RevocationProposalIn,
    VerificationIn,
)
from .committee import seat

router = APIRouter(tags=["awards"])


@router.get("/awards", summary="Awards granted, with their status (enterprises see their own)")
async def awards(s: Session, user: User, year: int | None = None) -> list[AwardRecord]:
    if user.role not in AWARD_READERS:
        raise forbidden()
    rows = await aq.certificates(
        s, year=year, own_only=user.role is Role.ENTERPRISE, enterprise_id=user.enterprise_id
    )
    return [AwardRecord.of(c, name) for c, name in rows]


@router.get(
    "/awards/{number}",
    summary="One award: its record, live state, cases and follow-up rounds",
    dependencies=[gate(*AWARD_READERS)],
)
async def award(award: AwardOf, s: Session, user: User) -> AwardDetail:
    c = award.certificate
    ent = await repo.enterprise(s, c.enterprise_id)
    live = await award.state()
    return AwardDetail.with_history(
        c,
        ent.name if ent else "",
        await aq.history(s, c.number),
        live.waiting_for if live else None,
        internal=user.role is not Role.ENTERPRISE,
    )


@router.get("/public/certificates/{number}", tags=["public"], summary="Is this certificate valid?")
async def verify_certificate(number: str, s: Session) -> CertificateCheck:
    row = await aq.certificate_named(s, number)
    if row is None:
        raise not_found("证书", "Certificate")
    return CertificateCheck.of(*row)


# --- revocation (R17.2) ----------------------------------------------------------------------------------
async def _committee_in_office(s: Session, user: CurrentUser) -> None:
    """The proposal comes from the chair or a vice-chair of the newest approved committee."""
    year = await aq.committee_in_office(s)
    if year is None:
        raise forbidden("尚无经批准的评委会", "There is no approved committee")
    await seat(s, year, user, ("CHAIR", "VICE_CHAIR"))


@router.post(
    "/awards/{number}/revocation",
    summary="The committee proposes to revoke an award (Art. 17)",
    dependencies=[gate(Role.COMMITTEE)],
)
async def propose_revocation(
    award: AwardOf,
    body: RevocationProposalIn,
    s: Session,
    user: User,
    op: Annotated[str, idempotent("revocation")],
) -> RevocationProposed:
    await _committee_in_office(s, user)
    arg = RevocationProposalInput(body.reason, body.evidence, user.actor)
    case_id = await award.update(AwardWorkflow.propose_revocation, arg, op, str)
    return RevocationProposed(certificate_number=award.number, case_id=case_id, status="REVOCATION_PROPOSED")


@router.post(
    "/awards/{number}/revocation/decision",
    summary="The government approves or rejects a revocation",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def decide_revocation(
    award: AwardOf,
    body: RevocationDecisionIn,
    user: User,
    op: Annotated[str, idempotent("revocation-decision")],
) -> AwardStatusOut:
    arg = RevocationDecisionInput(body.approved, body.document_no, body.reason, user.actor)
    status = await award.update(AwardWorkflow.decide_revocation, arg, op, str)
    return AwardStatusOut(certificate_number=award.number, status=status)


@router.post(
    "/awards/{number}/recovery",
    summary="The office records the recovery of the certificate or trophy",
    dependencies=[gate(Role.OFFICE)],
)
async def recovery(
    award: AwardOf, body: RecoveryIn, user: User, op: Annotated[str, idempotent("recovery")]
) -> RecoveryOut:
    arg = RecoveryInput(body.item, body.note, user.actor)
    recovered = await award.update(AwardWorkflow.record_recovery, arg, op, list[str])
    return RecoveryOut(certificate_number=award.number, recovered=recovered)


@router.post(
    "/awards/{number}/media-exposure",
    summary="The office records the revocation's exposure in the district's main news media (Art. 17)",
    dependencies=[gate(Role.OFFICE)],
)
async def media_exposure(
    award: AwardOf,
    body: MediaExposureIn,
    s: Session,
    user: User,
    op: Annotated[str, idempotent("media-exposure")],
) -> ExposureRecorded:
    if body.document is not None and not await repo.stored_documents(s, [body.document]):
        raise invalid(
            "EXPOSURE_DOCUMENT_NOT_FOUND",
            "剪报（截图）须为已上传的材料，该材料不存在",
            "The clipping must be a stored document; it was not found",
            document=body.document,
        )
    arg = MediaExposureInput(
        body.medium, body.published_at, body.place, body.url, body.document, body.note, user.actor
    )
    owed = await aq.exposure_owed(s, award.number)
    case_id = await award.update(AwardWorkflow.record_media_exposure, arg, op, str, exposure_owed=owed)
    return ExposureRecorded(certificate_number=award.number, case_id=case_id, state="PUBLISHED")


# --- misuse (R19.1) ------------------------------------------------------------------------------------
@router.post(
    "/awards/{number}/misuse",
    status_code=201,
    summary="The office opens a misuse case (Art. 19)",
    dependencies=[gate(Role.OFFICE)],
)
async def report_misuse(
    award: AwardOf, body: MisuseReportIn, user: User, op: Annotated[str, idempotent("misuse")]
) -> MisuseCaseOpened:
    arg = MisuseReportInput(body.kind, body.facts, body.evidence, body.source, user.actor)
    opened = await award.update(AwardWorkflow.report_misuse, arg, op, MisuseOpened)
    return MisuseCaseOpened(case_id=opened.case_id, workflow_id=opened.workflow_id, due_at=opened.due_at)


@router.get("/misuse-cases/{case_id}", summary="A misuse case: record and live state")
async def misuse_case(case: CaseOf, user: User) -> MisuseCaseDetail:
    live = await case.state()
    fields = MisuseCaseOut.fields_of(case.record, user.role is not Role.ENTERPRISE)
    return MisuseCaseDetail.model_validate({**fields, "waiting_for": live.waiting_for if live else None})


@router.post(
    "/misuse-cases/{case_id}/correction",
    summary="The enterprise reports its correction",
    dependencies=[gate(Role.ENTERPRISE)],
)
async def correction(
    case: CaseOf, body: CorrectionIn, user: User, op: Annotated[str, idempotent("correction")]
) -> MisuseCaseStateOut:
    state = await case.update(
        MisuseCaseWorkflow.submit_correction, CorrectionInput(body.description, user.actor), op
    )
    return MisuseCaseStateOut(case_id=case.case_id, state=state)


@router.post(
    "/misuse-cases/{case_id}/verification",
    summary="The office verifies the correction",
    dependencies=[gate(Role.OFFICE)],
)
async def verification(
    case: CaseOf, body: VerificationIn, user: User, op: Annotated[str, idempotent("verification")]
) -> MisuseCaseStateOut:
    arg = VerificationInput(body.accepted, body.note, user.actor)
    state = await case.update(MisuseCaseWorkflow.verify_correction, arg, op)
    return MisuseCaseStateOut(case_id=case.case_id, state=state)


# --- follow-up (R18.1) ---------------------------------------------------------------------------------
@router.post(
    "/awards/{number}/follow-up",
    summary="The winner submits its follow-up report (Art. 18)",
    dependencies=[gate(Role.ENTERPRISE)],
)
async def follow_up(
    award: AwardOf, body: FollowUpReportIn, user: User, op: Annotated[str, idempotent("follow-up")]
) -> FollowUpRecorded:
    n = await award.update(
        AwardWorkflow.submit_follow_up, FollowUpReportInput(body.text, user.actor), op, int
    )
    return FollowUpRecorded(certificate_number=award.number, round=n, state="REPORTED")


@router.post(
    "/awards/{number}/experience",
    summary="The office publishes the winner's experience (Art. 18)",
    dependencies=[gate(Role.OFFICE)],
)
async def experience(
    award: AwardOf, body: ExperienceIn, user: User, op: Annotated[str, idempotent("experience")]
) -> FollowUpRecorded:
    arg = ExperienceInput(body.round_no, body.title, body.text, user.actor)
    n = await award.update(AwardWorkflow.publish_experience, arg, op, int)
    return FollowUpRecorded(certificate_number=award.number, round=n, state="PUBLISHED")
