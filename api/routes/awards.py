"""After the award (Art. 17-19): the awards and their status, revocation, misuse cases, follow-up.

Who acts:
- revocation: the chair or a vice-chair of the committee in office proposes (区评委会提请), the
  district government approves with its document number or rejects; the office records the
  recovery of the certificate and the trophy;
- misuse: the office opens a case (责令限期改正); the enterprise reports its correction; the office
  verifies it;
- follow-up: the enterprise submits its report for the open round; the office publishes experience.
Anyone may check whether a certificate is valid (`/public/certificates/{number}`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from fastapi import APIRouter
from temporalio.client import Client

from config.constants import misuse_workflow_id
from config.settings import Settings
from contracts.award import (
    AwardState,
    ExperienceInput,
    FollowUpReportInput,
    MediaExposureInput,
    MisuseOpened,
    MisuseReportInput,
    RecoveryInput,
    RevocationDecisionInput,
    RevocationProposalInput,
)
from contracts.misuse import CorrectionInput, MisuseCaseState, VerificationInput
from db import award_queries as aq
from db import models as m
from domain.errors import conflict, invalid
from domain.types import Role
from workflows.award import AwardWorkflow
from workflows.misuse import MisuseCaseWorkflow

from .. import workflow_calls
from ..deps import (
    Config,
    CurrentUser,
    EnterpriseUser,
    IdempotencyKey,
    Office,
    Session,
    Temporal,
    User,
    gate,
    update_key,
)
from ..errors import forbidden, not_found
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
T = TypeVar("T")
READERS = (Role.OFFICE, Role.COMMITTEE, Role.GOVERNMENT, Role.AUDITOR)  # the auditor reads only (api.deps)


async def _certificate(s: Session, number: str, user: CurrentUser) -> m.Certificate:
    c = await s.get(m.Certificate, number)
    if c is None or (user.role is Role.ENTERPRISE and user.enterprise_id != c.enterprise_id):
        raise not_found("获奖证书", "Certificate")
    if user.role not in (*READERS, Role.ENTERPRISE):
        raise forbidden()
    return c


async def _award_update(
    client: Client,
    cfg: Settings,
    c: m.Certificate,
    method: Any,
    arg: Any,
    key: str,
    result_type: type[T],
    *,
    exposure_owed: bool = False,
) -> T:
    # Revoked, recovered and (when it was owed) exposed in the news media: the workflow has ended.
    if c.status == "REVOKED" and c.certificate_recovered_at and c.trophy_recovered_at and not exposure_owed:
        raise conflict(
            "AWARD_CLOSED",
            "该奖项已撤销，证书和奖杯已收回，办理已经结束",
            "The award is revoked and its certificate and trophy recovered; nothing more can be done on it",
        )
    return await workflow_calls.workflow_update(
        client,
        cfg,
        c.workflow_id,
        method,
        arg,
        key=key,
        result_type=result_type,
        missing=("获奖流程", "Award workflow"),
        closed=workflow_calls.AWARD_CLOSED,
    )


def _record(c: m.Certificate, name: str) -> dict[str, Any]:
    return {
        "certificate_number": c.number,
        "year": c.cycle_year,
        "award": c.award,
        "application_id": c.application_id,
        "enterprise_name": name,
        "status": c.status,
        "issued_at": c.issued_at,
        "revoked_at": c.revoked_at,
        "revocation_document_no": c.revocation_document_no,
        "certificate_recovered_at": c.certificate_recovered_at,
        "trophy_recovered_at": c.trophy_recovered_at,
        "workflow_id": c.workflow_id,
    }


@router.get("/awards", summary="Awards granted, with their status (enterprises see their own)")
async def awards(s: Session, user: User, year: int | None = None) -> list[dict[str, Any]]:
    if user.role not in (*READERS, Role.ENTERPRISE):
        raise forbidden()
    rows = await aq.certificates(
        s, year=year, own_only=user.role is Role.ENTERPRISE, enterprise_id=user.enterprise_id
    )
    return [_record(c, name) for c, name in rows]


@router.get(
    "/awards/{number}",
    summary="One award: its record, live state, cases and follow-up rounds",
    dependencies=[gate(*READERS, Role.ENTERPRISE)],
)
async def award(number: str, s: Session, user: User, client: Temporal, cfg: Config) -> dict[str, Any]:
    c = await _certificate(s, number, user)
    ent = await s.get(m.Enterprise, c.enterprise_id)
    live = await workflow_calls.query(
        client,
        c.workflow_id,
        AwardWorkflow.award_state,
        timeout=cfg.temporal_rpc_timeout_seconds,
        result_type=AwardState,
    )
    revocations = await aq.revocation_cases(s, number)
    cases = await aq.misuse_cases(s, number)
    rounds = await aq.follow_ups(s, number)
    exposures = {x.case_id: _exposure(x) for x in await aq.media_exposures(s, number)}
    internal = user.role is not Role.ENTERPRISE
    return {
        **_record(c, ent.name if ent else ""),
        "waiting_for": live.waiting_for if live else None,
        "revocations": [
            {
                "case_id": r.id,
                "state": r.state,
                "reason": r.reason,
                "evidence": r.evidence if internal else None,
                "proposed_by": r.proposed_by if internal else None,
                "proposed_at": r.proposed_at,
                "decided_at": r.decided_at,
                "document_no": r.document_no,
                "decision_reason": r.decision_reason,
                "media_exposure": exposures.get(r.id),  # Art. 17: 在区级主要新闻媒体上予以曝光
            }
            for r in revocations
        ],
        "media_exposure": next((exposures[r.id] for r in reversed(revocations) if r.id in exposures), None),
        "misuse_cases": [_case(x, internal) for x in cases],
        "follow_ups": [
            {
                "round": f.round_no,
                "state": f.state,
                "requested_at": f.requested_at,
                "due_at": f.due_at,
                "report": f.report,
                "reported_at": f.reported_at,
                "experience_title": f.experience_title,
                "experience_published_at": f.experience_published_at,
            }
            for f in rounds
        ],
    }


def _exposure(x: m.MediaExposure) -> dict[str, Any]:
    return {
        "case_id": x.case_id,
        "state": x.state,
        "due_at": x.due_at,
        "overdue_at": x.overdue_at,
        "medium": x.medium or None,
        "published_at": x.published_at,
        "place": x.place,
        "url": x.url,
        "document_sha256": x.document_sha256,
        "note": x.note,
        "recorded_by": x.recorded_by or None,
        "recorded_at": x.recorded_at,
    }


def _case(x: m.MisuseCase, internal: bool) -> dict[str, Any]:
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


@router.get("/public/certificates/{number}", tags=["public"], summary="Is this certificate valid?")
async def verify_certificate(number: str, s: Session) -> dict[str, Any]:
    row = await aq.certificate_named(s, number)
    if row is None:
        raise not_found("证书", "Certificate")
    c, name = row
    revoked = c.status == "REVOKED"
    return {
        "certificate_number": c.number,
        "year": c.cycle_year,
        "award": c.award,
        "enterprise_name": name,
        "valid": not revoked,
        "status": "已撤销" if revoked else "有效",
        "revoked_at": c.revoked_at,
        "revocation_document_no": c.revocation_document_no or None,
    }


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
    number: str,
    body: RevocationProposalIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, user)
    await _committee_in_office(s, user)
    case_id = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.propose_revocation,
        RevocationProposalInput(body.reason, body.evidence, user.actor),
        update_key("revocation", key),
        str,
    )
    return {"certificate_number": number, "case_id": case_id, "status": "REVOCATION_PROPOSED"}


@router.post(
    "/awards/{number}/revocation/decision",
    summary="The government approves or rejects a revocation",
    dependencies=[gate(Role.GOVERNMENT)],
)
async def decide_revocation(
    number: str,
    body: RevocationDecisionIn,
    s: Session,
    user: User,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, user)
    status = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.decide_revocation,
        RevocationDecisionInput(body.approved, body.document_no, body.reason, user.actor),
        update_key("revocation-decision", key),
        str,
    )
    return {"certificate_number": number, "status": status}


@router.post(
    "/awards/{number}/recovery", summary="The office records the recovery of the certificate or trophy"
)
async def recovery(
    number: str,
    body: RecoveryIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, office)
    recovered = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.record_recovery,
        RecoveryInput(body.item, body.note, office.actor),
        update_key("recovery", key),
        list[str],
    )
    return {"certificate_number": number, "recovered": recovered}


@router.post(
    "/awards/{number}/media-exposure",
    summary="The office records the revocation's exposure in the district's main news media (Art. 17)",
)
async def media_exposure(
    number: str,
    body: MediaExposureIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, office)
    if body.document is not None and await s.get(m.Document, body.document) is None:
        raise invalid(
            "EXPOSURE_DOCUMENT_NOT_FOUND",
            "剪报（截图）须为已上传的材料，该材料不存在",
            "The clipping must be a stored document; it was not found",
            document=body.document,
        )
    owed = await aq.exposure_owed(s, number)
    case_id = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.record_media_exposure,
        MediaExposureInput(
            body.medium, body.published_at, body.place, body.url, body.document, body.note, office.actor
        ),
        update_key("media-exposure", key),
        str,
        exposure_owed=owed,
    )
    return {"certificate_number": number, "case_id": case_id, "state": "PUBLISHED"}


# --- misuse (R19.1) ------------------------------------------------------------------------------------
@router.post("/awards/{number}/misuse", status_code=201, summary="The office opens a misuse case (Art. 19)")
async def report_misuse(
    number: str,
    body: MisuseReportIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, office)
    opened = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.report_misuse,
        MisuseReportInput(body.kind, body.facts, body.evidence, body.source, office.actor),
        update_key("misuse", key),
        MisuseOpened,
    )
    return {"case_id": opened.case_id, "workflow_id": opened.workflow_id, "due_at": opened.due_at}


async def _case_row(s: Session, case_id: str, user: CurrentUser) -> m.MisuseCase:
    x = await s.get(m.MisuseCase, case_id)
    if x is None or (user.role is Role.ENTERPRISE and x.enterprise_id != user.enterprise_id):
        raise not_found("违规使用称号案件", "Misuse case")
    return x


async def _case_update(client: Client, cfg: Settings, case_id: str, method: Any, arg: Any, key: str) -> str:
    return await workflow_calls.workflow_update(
        client,
        cfg,
        misuse_workflow_id(case_id),
        method,
        arg,
        key=key,
        result_type=str,
        missing=("违规使用称号案件", "Misuse case"),
        closed=workflow_calls.MISUSE_CASE_CLOSED,
    )


@router.get("/misuse-cases/{case_id}", summary="A misuse case: record and live state")
async def misuse_case(case_id: str, s: Session, user: User, client: Temporal, cfg: Config) -> dict[str, Any]:
    if user.role not in (*READERS, Role.ENTERPRISE):
        raise forbidden()
    x = await _case_row(s, case_id, user)
    live = await workflow_calls.query(
        client,
        misuse_workflow_id(case_id),
        MisuseCaseWorkflow.case_state,
        timeout=cfg.temporal_rpc_timeout_seconds,
        result_type=MisuseCaseState,
    )
    return {**_case(x, user.role is not Role.ENTERPRISE), "waiting_for": live.waiting_for if live else None}


@router.post("/misuse-cases/{case_id}/correction", summary="The enterprise reports its correction")
async def correction(
    case_id: str,
    body: CorrectionIn,
    s: Session,
    user: EnterpriseUser,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    await _case_row(s, case_id, user)
    state = await _case_update(
        client,
        cfg,
        case_id,
        MisuseCaseWorkflow.submit_correction,
        CorrectionInput(body.description, user.actor),
        update_key("correction", key),
    )
    return {"case_id": case_id, "state": state}


@router.post("/misuse-cases/{case_id}/verification", summary="The office verifies the correction")
async def verification(
    case_id: str,
    body: VerificationIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    await _case_row(s, case_id, office)
    state = await _case_update(
        client,
        cfg,
        case_id,
        MisuseCaseWorkflow.verify_correction,
        VerificationInput(body.accepted, body.note, office.actor),
        update_key("verification", key),
    )
    return {"case_id": case_id, "state": state}


# --- follow-up (R18.1) ---------------------------------------------------------------------------------
@router.post("/awards/{number}/follow-up", summary="The winner submits its follow-up report (Art. 18)")
async def follow_up(
    number: str,
    body: FollowUpReportIn,
    s: Session,
    user: EnterpriseUser,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, user)
    n = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.submit_follow_up,
        FollowUpReportInput(body.text, user.actor),
        update_key("follow-up", key),
        int,
    )
    return {"certificate_number": number, "round": n, "state": "REPORTED"}


@router.post("/awards/{number}/experience", summary="The office publishes the winner's experience (Art. 18)")
async def experience(
    number: str,
    body: ExperienceIn,
    s: Session,
    office: Office,
    client: Temporal,
    cfg: Config,
    key: IdempotencyKey = None,
) -> dict[str, Any]:
    c = await _certificate(s, number, office)
    n = await _award_update(
        client,
        cfg,
        c,
        AwardWorkflow.publish_experience,
        ExperienceInput(body.round_no, body.title, body.text, office.actor),
        update_key("experience", key),
        int,
    )
    return {"certificate_number": number, "round": n, "state": "PUBLISHED"}
