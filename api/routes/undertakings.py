"""The experts' undertaking of a cycle (评审专家承诺书, Art. 20(3)–(5)): the office publishes the text,
each expert signs it before seeing any assignment of the cycle (api/routes/review.py) or being drawn
onto a panel (activities/review.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from db import expert_queries as eq
from db import models as m
from db import repositories as repo
from db import undertakings as ut
from domain.types import Role
from domain.undertaking import check_signing, check_year

from ..deps import Office, OfficeOrAuditor, Session, User, gate
from ..schemas import UndertakingOut, UndertakingPublishIn, UndertakingSignatureOut, UndertakingSignIn
from .review import expert_of

router = APIRouter(tags=["undertakings"])


def _signature_out(x: m.UndertakingSignature, name: str = "") -> UndertakingSignatureOut:
    return UndertakingSignatureOut(
        year=x.cycle_year,
        expert_id=x.expert_id,
        expert_name=name,
        version=x.version,
        text_sha256=x.text_sha256,
        signed_by=x.signed_by,
        signed_at=x.signed_at,
    )


def _out(v: ut.Version, mine: m.UndertakingSignature | None = None) -> UndertakingOut:
    return UndertakingOut(
        year=v.year,
        version=v.version,
        title=v.title,
        text=v.text,
        text_sha256=v.text_sha256,
        published=v.published,
        published_by=v.published_by,
        published_at=v.published_at,
        note=v.note,
        my_signature=_signature_out(mine) if mine is not None else None,
    )


@router.get(
    "/cycles/{year}/undertaking",
    response_model=UndertakingOut,
    summary="The cycle's expert undertaking (承诺书), current version",
    dependencies=[gate(Role.OFFICE, Role.EXPERT, Role.AUDITOR)],
)
async def get_undertaking(year: int, s: Session, user: User) -> UndertakingOut:
    check_year(year)
    mine = None
    if user.role is Role.EXPERT:
        mine = await ut.signature(s, year, (await expert_of(s, user)).id)
    return _out(await ut.current(s, year), mine)


@router.post(
    "/cycles/{year}/undertaking",
    response_model=UndertakingOut,
    status_code=201,
    summary="Publish a new version of the cycle's expert undertaking",
)
async def publish_undertaking(
    year: int, body: UndertakingPublishIn, s: Session, office: Office
) -> UndertakingOut:
    """A new version; signatures of earlier versions stay valid (what each expert signed is kept
    with its hash), experts who sign from now on sign this one."""
    check_year(year)
    now = datetime.now(UTC)
    v = await ut.publish(
        s, year, title=body.title, text=body.text, note=body.note, by=office.username, at=now
    )
    await repo.audit_by(
        s,
        office,
        "UNDERTAKING_PUBLISHED",
        "undertaking",
        f"{year}-v{v.version}",
        at=now,
        reason=body.note,
        details={"year": year, "version": v.version, "text_sha256": v.text_sha256, "title": v.title},
    )
    return _out(v)


@router.post(
    "/cycles/{year}/undertaking/signature",
    response_model=UndertakingSignatureOut,
    summary="Sign the cycle's expert undertaking (the expert, before any assignment)",
    dependencies=[gate(Role.EXPERT)],
)
async def sign_undertaking(
    year: int, body: UndertakingSignIn, s: Session, user: User
) -> UndertakingSignatureOut:
    """The expert signs the current version, naming it and its text's sha256 (what they read). Signing
    the same version again answers with the signature already recorded."""
    check_year(year)
    e = await expert_of(s, user)
    now = datetime.now(UTC)
    v = await ut.current(s, year)
    if not v.published:  # the default text becomes version 1 (unless the office's text just did)
        await ut.store_default(s, year, now)
        v = await ut.current(s, year)
    check_signing(
        year, body.version, body.text_sha256, current_version=v.version, current_sha256=v.text_sha256
    )
    x = await ut.sign(s, year, e.id, v, by=user.username, at=now)
    if x is None:  # signed before: the signature recorded then
        found = await ut.signature(s, year, e.id, version=v.version)
        assert found is not None
        return _signature_out(found, e.name)
    await repo.audit_by(
        s,
        user,
        "UNDERTAKING_SIGNED",
        "expert",
        str(e.id),
        at=now,
        details={"year": year, "version": v.version, "text_sha256": v.text_sha256},
    )
    return _signature_out(x, e.name)


@router.get(
    "/cycles/{year}/undertaking/signatures",
    response_model=list[UndertakingSignatureOut],
    summary="Who has signed the cycle's expert undertaking, which version, when",
)
async def list_signatures(year: int, s: Session, office: OfficeOrAuditor) -> list[UndertakingSignatureOut]:
    check_year(year)
    rows = await ut.signatures(s, year)
    names = await eq.expert_names(s, (x.expert_id for x in rows))
    return [_signature_out(x, names.get(x.expert_id, "")) for x in rows]
