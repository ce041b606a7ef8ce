"""Enterprises, their eligibility facts and the revocation registry (master data, office only)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from db import models as m
from db import repositories as repo
from db.holidays import holiday_calendar
from domain.calendar import HolidayCalendar
from domain.credit_code import normalize_credit_code
from domain.eligibility import ban_end
from domain.errors import conflict
from domain.mail import normalize_email
from domain.types import PRIORITY_SECTORS, Award, Role

from ..deps import CurrentUser, Office, OfficeOrAuditor, Session, User
from ..errors import forbidden, not_found
from ..schemas import (
    ContactEmailIn,
    EnterpriseIn,
    EnterpriseOut,
    FactIn,
    FactOut,
    Page,
    RevocationIn,
    RevocationOut,
)

router = APIRouter(tags=["enterprises"])


def enterprise_out(e: m.Enterprise) -> EnterpriseOut:
    """The enterprise as registered (its eligibility profile), with its id and contact e-mail."""
    profile = repo.to_profile(e)
    return EnterpriseOut(
        **asdict(profile),
        id=e.id,
        priority_sector=any(t in PRIORITY_SECTORS for t in profile.sector_tags),
        contact_email=e.contact_email,
    )


def email_or_none(value: str) -> str:
    """A validated address, or "" for none (EMAIL_INVALID for anything else)."""
    return normalize_email(value) if value.strip() else ""


async def _audit_enterprise(
    s: Session,
    office: CurrentUser,
    action: str,
    credit_code: str,
    *,
    details: dict[str, Any],
    reason: str = "",
    at: datetime | None = None,
) -> None:
    """The audit record of what the office did to the enterprise `credit_code` (at `at`, now by default)."""
    at = datetime.now(UTC) if at is None else at
    await repo.audit_by(s, office, action, "enterprise", credit_code, at=at, reason=reason, details=details)


async def load_enterprise(
    s: Session,
    credit_code: str,
    user: CurrentUser,
    refusal: tuple[str, str] = ("只能查看本单位的信息", "You may only see your own organisation"),
) -> m.Enterprise:
    """The enterprise, if the user may see it: the office, the auditor, or the enterprise's own
    accounts (anyone else is refused with `refusal`)."""
    ent = await repo.enterprise_by_code(s, normalize_credit_code(credit_code))
    if ent is None:
        raise not_found("企业", "Enterprise")
    if user.role not in (Role.OFFICE, Role.AUDITOR) and user.enterprise_id != ent.id:
        raise forbidden(*refusal)
    return ent


@router.post("/enterprises", response_model=EnterpriseOut, status_code=201)
async def create_enterprise(body: EnterpriseIn, s: Session, office: Office) -> EnterpriseOut:
    code = normalize_credit_code(body.credit_code)
    contact_email = email_or_none(body.contact_email)
    if await repo.enterprise_by_code(s, code):
        raise conflict(
            "ENTERPRISE_EXISTS",
            f"统一社会信用代码{code}的企业已登记",
            f"Enterprise {code} is already registered",
        )
    ent = m.Enterprise(
        **body.model_dump(exclude={"credit_code", "sector_tags", "contact_email"}),
        credit_code=code,
        sector_tags=[str(t) for t in body.sector_tags],
        contact_email=contact_email,
    )
    s.add(ent)
    await s.flush()
    details = {**body.model_dump(mode="json"), "contact_email": contact_email}
    await _audit_enterprise(s, office, "ENTERPRISE_REGISTERED", code, details=details)
    return enterprise_out(ent)


@router.post(
    "/enterprises/{credit_code}/contact-email",
    response_model=EnterpriseOut,
    summary="Register or change the enterprise's contact e-mail for its notices (office)",
)
async def set_contact_email(
    credit_code: str, body: ContactEmailIn, s: Session, office: Office
) -> EnterpriseOut:
    """The office keeps the enterprise's contact e-mail (an enterprise asks the office to change
    it, like its other registered data); "" removes it. Notices published from now on go there."""
    ent = await load_enterprise(s, credit_code, office)
    new = email_or_none(body.contact_email)
    if new != ent.contact_email:
        old, ent.contact_email = ent.contact_email, new
        ent.updated_at = datetime.now(UTC)
        details = {"old": old, "new": new}
        await _audit_enterprise(
            s, office, "ENTERPRISE_CONTACT_EMAIL_CHANGED", ent.credit_code, details=details, at=ent.updated_at
        )
    return enterprise_out(ent)


@router.get("/enterprises", response_model=Page)
async def list_enterprises(
    s: Session,
    office: OfficeOrAuditor,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page:
    rows, total = await repo.list_enterprises(s, limit=page_size, offset=(page - 1) * page_size)
    return Page(total=total, page=page, page_size=page_size, items=[enterprise_out(e) for e in rows])


@router.get("/enterprises/{credit_code}", response_model=EnterpriseOut)
async def get_enterprise(credit_code: str, s: Session, user: User) -> EnterpriseOut:
    return enterprise_out(await load_enterprise(s, credit_code, user))


@router.post("/enterprises/{credit_code}/facts", response_model=FactOut, status_code=201)
async def record_fact(credit_code: str, body: FactIn, s: Session, office: Office) -> FactOut:
    ent = await load_enterprise(s, credit_code, office)
    common = {"kind", "on", "source", "evidence"}
    fact = m.EligibilityFact(
        enterprise_id=ent.id,
        kind=body.kind,
        on=body.on,
        source=body.source,
        evidence=body.evidence,
        attrs=body.model_dump(mode="json", exclude=common),
        recorded_by=office.username,
    )
    s.add(fact)
    await s.flush()
    await s.refresh(fact)
    await _audit_enterprise(s, office, "FACT_RECORDED", ent.credit_code, details=body.model_dump(mode="json"))
    return fact_out(fact)


def fact_out(f: m.EligibilityFact) -> FactOut:
    return FactOut(
        id=f.id,
        kind=f.kind,
        on=f.on,
        source=f.source,
        evidence=f.evidence,
        attrs=f.attrs,
        recorded_by=f.recorded_by,
        recorded_at=f.recorded_at,
    )


@router.get("/enterprises/{credit_code}/facts", response_model=list[FactOut])
async def list_facts(credit_code: str, s: Session, office: OfficeOrAuditor) -> list[FactOut]:
    ent = await load_enterprise(s, credit_code, office)
    return [fact_out(f) for f in await repo.facts_of(s, ent.id)]


def revocation_out(r: m.Revocation, calendar: HolidayCalendar | None = None) -> RevocationOut:
    """A registry entry; its ban counted with every year of rest days known now (a cycle counts
    with the calendar frozen into its rules)."""
    return RevocationOut(
        id=r.id,
        credit_code=r.credit_code,
        award=Award(r.award),
        award_year=r.award_year,
        revoked_on=r.revoked_on,
        reason=r.reason,
        document_no=r.document_no,
        ban_ends_at=ban_end(repo.to_revocation(r), calendar),
    )


@router.post("/revocations", response_model=RevocationOut, status_code=201, tags=["revocations"])
async def record_revocation(body: RevocationIn, s: Session, office: Office) -> RevocationOut:
    """Record a revocation decided by the government (R17.1): it starts the 5-year ban."""
    code = normalize_credit_code(body.credit_code)
    if await repo.revocation_recorded(s, code, body.award, body.award_year):
        raise conflict("REVOCATION_EXISTS", "该撤销记录已登记", "This revocation is already recorded")
    r = m.Revocation(
        **body.model_dump(exclude={"credit_code"}), credit_code=code, recorded_by=office.username
    )
    s.add(r)
    await s.flush()
    details = body.model_dump(mode="json")
    await _audit_enterprise(s, office, "REVOCATION_RECORDED", code, details=details, reason=body.reason)
    return revocation_out(r, await holiday_calendar(s))


@router.get("/revocations", response_model=list[RevocationOut], tags=["revocations"])
async def list_revocations(s: Session, office: OfficeOrAuditor) -> list[RevocationOut]:
    rows = await repo.revocations(s)
    calendar = await holiday_calendar(s)
    return [revocation_out(r, calendar) for r in rows]
