"""Tables. Master data is written by the API; process records only by activities (idempotent)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Json = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _now() -> Any:
    return func.now()


class Enterprise(Base):
    __tablename__ = "enterprises"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    registered_district: Mapped[str] = mapped_column(String(50))
    tax_district: Mapped[str] = mapped_column(String(50))
    independent_legal_person: Mapped[bool] = mapped_column(Boolean)
    registration_date: Mapped[date] = mapped_column(Date)
    field: Mapped[str] = mapped_column(String(20))
    sector_tags: Mapped[list[str]] = mapped_column(Json, default=list)
    # where the enterprise's notices are e-mailed ("" = none): registered and changed by the office
    contact_email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class EligibilityFact(Base):
    """Facts the office records per enterprise (certificates, spot checks, accidents, ...)."""

    __tablename__ = "eligibility_facts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    attrs: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class Revocation(Base):
    """Revocation registry (R17.1): the 5-year ban is counted from revoked_on."""

    __tablename__ = "revocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    award: Mapped[str] = mapped_column(String(20))
    award_year: Mapped[int] = mapped_column(Integer)
    revoked_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    document_no: Mapped[str] = mapped_column(String(100), default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    __table_args__ = (UniqueConstraint("credit_code", "award", "award_year", name="uq_revocations_award"),)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # where the account's personal notices are e-mailed ("" = none)
    email: Mapped[str] = mapped_column(String(254), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


# --- accounts: invitations, sessions, sign-in throttling (P7, ASVS V2/V3) --------------------------
class AccountInvitation(Base):
    """A one-time token with which the invitee sets their own password (nobody else knows it).
    Only the SHA-256 of the token is stored; the creator sees the token once, in the answer."""

    __tablename__ = "account_invitations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # a newer invitation, a deactivation or the use of another one ends it
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuthSession(Base):
    """One sign-in. Access tokens carry its id (`sid`): revoking it ends them and its refresh
    token at once. The refresh token is stored as its SHA-256 and replaced on every use; the one
    it replaced is kept to recognise a replayed (stolen) token, which revokes the session."""

    __tablename__ = "auth_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    refresh_hash: Mapped[str] = mapped_column(String(64), unique=True)
    previous_refresh_hash: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    refreshed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revoked_reason: Mapped[str] = mapped_column(String(40), default="")


class SignInThrottle(Base):
    """Sign-in attempts per account name, known or unknown alike (so a lockout tells nothing
    about whether the account exists). Keyed by the SHA-256 of the name; rows end at `expires_at`."""

    __tablename__ = "sign_in_throttle"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # started and failed since the window began
    window_started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Cycle(Base):
    __tablename__ = "cycles"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(100))
    rules: Mapped[dict[str, Any]] = mapped_column(Json)
    rules_revision: Mapped[str] = mapped_column(Text)
    criteria_edition: Mapped[str] = mapped_column(String(50))
    deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    stage: Mapped[str] = mapped_column(String(40))
    started_by: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Kept by the cycle workflow so reads never ask Temporal (P5): intake, what it waits for, and
    # the gate it waits on (activities wake it when the gate's last application moves on).
    intake_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    applications_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waiting_for: Mapped[str] = mapped_column(Text, default="", server_default="")
    gate: Mapped[str] = mapped_column(String(30), default="", server_default="")
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Document(Base):
    """Immutable, content-addressed upload (sha256)."""

    __tablename__ = "documents"
    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    media_type: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class DocumentOwner(Base):
    """Who uploaded a document under which file name; one blob may belong to several owners."""

    __tablename__ = "document_owners"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("documents.sha256"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    __table_args__ = (UniqueConstraint("sha256", "enterprise_id", name="uq_document_owners_blob"),)


class Application(Base):
    __tablename__ = "applications"
    id: Mapped[str] = mapped_column(String(20), primary_key=True)  # "2027-0003"
    cycle_year: Mapped[int] = mapped_column(ForeignKey("cycles.year"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    award: Mapped[str] = mapped_column(String(20))
    field: Mapped[str] = mapped_column(String(20))
    sector_tags: Mapped[list[str]] = mapped_column(Json, default=list)
    documents: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    self_assessment: Mapped[dict[str, int]] = mapped_column(Json, default=dict)  # percent per rubric item
    document_score: Mapped[str | None] = mapped_column(String(20), nullable=True)
    onsite_score: Mapped[str | None] = mapped_column(String(20), nullable=True)
    contact_name: Mapped[str] = mapped_column(String(100), default="")
    contact_phone: Mapped[str] = mapped_column(String(50), default="")
    stage: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(40))
    workflow_id: Mapped[str] = mapped_column(String(100))
    submitted_by: Mapped[str] = mapped_column(String(100))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())
    # Kept by the application workflow (P5): its stage in order, what it waits for and until when.
    stage_rank: Mapped[int] = mapped_column(SmallInteger, default=0, server_default="0")
    waiting_for: Mapped[str] = mapped_column(Text, default="", server_default="")
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    submission_key: Mapped[str | None] = mapped_column(String(100), nullable=True)  # Idempotency-Key
    __table_args__ = (
        UniqueConstraint("cycle_year", "enterprise_id", name="uq_applications_one_per_cycle"),
        Index("ix_applications_cycle_year_stage", "cycle_year", "stage"),
        Index("ix_applications_cycle_year_id", "cycle_year", "id"),  # pages of a year, in order
        Index("ix_applications_enterprise_id", "enterprise_id"),
    )


class QualificationCheck(Base):
    """One Art. 11 / Art. 17 condition of one application: automatic result and office decision."""

    __tablename__ = "qualification_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    condition: Mapped[str] = mapped_column(String(40))
    clause: Mapped[str] = mapped_column(Text)
    requirement: Mapped[str] = mapped_column(String(10))
    auto_status: Mapped[str] = mapped_column(String(20))
    finding: Mapped[str] = mapped_column(Text)
    evidence: Mapped[list[str]] = mapped_column(Json, default=list)
    fact_ids: Mapped[list[int]] = mapped_column(Json, default=list)
    checked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    final_status: Mapped[str | None] = mapped_column(String(20), nullable=True)
    overridden: Mapped[bool] = mapped_column(Boolean, default=False)
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # An override's record of what contradicts the automatic finding (facts, uploaded documents).
    decision_fact_ids: Mapped[list[int]] = mapped_column(Json, default=list, server_default=text("'[]'"))
    decision_documents: Mapped[list[str]] = mapped_column(Json, default=list, server_default=text("'[]'"))
    __table_args__ = (
        UniqueConstraint("application_id", "condition", name="uq_qualification_checks_condition"),
    )


class QualificationDecisionRecord(Base):
    __tablename__ = "qualification_decisions"
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    qualified: Mapped[bool] = mapped_column(Boolean)
    material_truthful: Mapped[bool] = mapped_column(Boolean)
    truthfulness_note: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Notice(Base):
    """Outbox of notices: written PENDING by a workflow activity, then delivered."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # business id: makes writes idempotent
    kind: Mapped[str] = mapped_column(String(40))
    audience: Mapped[str] = mapped_column(String(20))
    cycle_year: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), nullable=True, index=True)
    application_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    # a personal notice (an expert's assignment, a reminder, an escalation to the office)
    recipient_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    recipient_role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivery_state: Mapped[str] = mapped_column(String(20))
    delivery_channel: Mapped[str] = mapped_column(String(20), default="")
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    read_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The relay (worker) delivers PENDING notices; a failed attempt waits until next_attempt_at.
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    # When the mail relay decided who gets the published notice by e-mail (NULL: not yet).
    mail_planned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (
        Index(
            "ix_notices_pending",
            "id",
            postgresql_where=text("delivery_state = 'PENDING'"),
        ),
        Index(
            "ix_notices_mail_unplanned",
            "id",
            postgresql_where=text("mail_planned_at IS NULL AND delivery_state = 'DELIVERED'"),
        ),
    )


class NoticeDelivery(Base):
    """One delivery of a notice by a channel to an address (e-mail; the portal is the notice's own
    delivery_state). The mail relay claims due rows with a lease, like the notice relay."""

    __tablename__ = "notice_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))  # "email"
    address: Mapped[str] = mapped_column(String(254))  # "" when SKIPPED for want of one
    state: Mapped[str] = mapped_column(String(20))  # domain.mail.MailState
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    last_error: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    message_id: Mapped[str] = mapped_column(String(250), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("notice_id", "channel", "address", name="uq_notice_deliveries_target"),
        Index(
            "ix_notice_deliveries_due",
            "next_attempt_at",
            postgresql_where=text("state IN ('PENDING', 'FAILED')"),
        ),
        Index("ix_notice_deliveries_state", "state"),
    )


class NoticeDeliveryAttempt(Base):
    """Each attempt of a delivery and its result (the SMTP server's reply or the error)."""

    __tablename__ = "notice_delivery_attempts"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("notice_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ok: Mapped[bool] = mapped_column(Boolean)
    result: Mapped[str] = mapped_column(Text)  # "250 …" or the error


class AuditEntry(Base):
    """Who, when, what, why (P4). `key` makes a retried activity write it once.

    One hash chain in commit order (P7, domain/audit_chain.py): `seq` 1, 2, 3, …, `prev_hash` the
    row_hash of the row before, `row_hash` over the row's fields and prev_hash. Appended only by
    db/audit_log.py; a trigger refuses UPDATE, DELETE and TRUNCATE (migration 0009)."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(250), unique=True, nullable=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(100))
    actor_role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str] = mapped_column(String(100), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    prev_hash: Mapped[str] = mapped_column(String(64))
    row_hash: Mapped[str] = mapped_column(String(64))


# --- experts, conflicts, panels and scores (document and on-site review) -------------------------
class Expert(Base):
    """Expert registry (R10.1): qualifications, fields, employer history, availability, status."""

    __tablename__ = "experts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), unique=True, nullable=True)
    name: Mapped[str] = mapped_column(String(100))
    qualifications: Mapped[list[str]] = mapped_column(Json, default=list)
    fields: Mapped[list[str]] = mapped_column(Json, default=list)
    current_employer_credit_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    current_employer_name: Mapped[str] = mapped_column(String(200), default="")
    available: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(20), default="ACTIVE")  # ACTIVE / DISQUALIFIED / RETIRED
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=_now())


class ExpertEngagement(Base):
    """Past or present employment of, or consulting for, an organisation (conflict detection)."""

    __tablename__ = "expert_engagements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18))
    organisation_name: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(20))  # EMPLOYMENT / CONSULTING
    start: Mapped[date] = mapped_column(Date)
    end: Mapped[date | None] = mapped_column(Date, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class ExpertDiscipline(Base):
    """Criticism, warning or disqualification of an expert by the office (R20.3)."""

    __tablename__ = "expert_discipline"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # a breach of the cycle's undertaking (Art. 20): its year and the clause broken; None otherwise
    breach_year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    breach_clause: Mapped[str | None] = mapped_column(String(30), nullable=True)


class UndertakingText(Base):
    """A version of a cycle's expert undertaking (承诺书, Art. 20), as published: never changed."""

    __tablename__ = "undertaking_texts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(100))  # "system" for the default text
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("cycle_year", "version", name="uq_undertaking_texts_version"),)


class UndertakingSignature(Base):
    """An expert's signature of one version of a cycle's undertaking: who, when, which text."""

    __tablename__ = "undertaking_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    text_sha256: Mapped[str] = mapped_column(String(64))
    signed_by: Mapped[str] = mapped_column(String(100))  # the expert's account
    signed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("cycle_year", "expert_id", "version", name="uq_undertaking_signatures_once"),
    )


class Conflict(Base):
    """An interest between an expert and an organisation (R20.1); suspected and confirmed ones exclude."""

    __tablename__ = "conflicts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    credit_code: Mapped[str] = mapped_column(String(18), index=True)
    type: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(20))
    evidence: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolution: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (UniqueConstraint("expert_id", "credit_code", "type", name="uq_conflicts_pair_type"),)


class PanelDraw(Base):
    """A recorded draw: seed, hash of the inputs, the inputs themselves and the result (re-runnable)."""

    __tablename__ = "panel_draws"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # e.g. "2027-DOCUMENT-1"
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # DOCUMENT / ONSITE / REPLACEMENT
    seed: Mapped[int] = mapped_column(BigInteger)
    input_hash: Mapped[str] = mapped_column(String(64))
    inputs: Mapped[dict[str, Any]] = mapped_column(Json)
    result: Mapped[dict[str, Any]] = mapped_column(Json)
    drawn_by: Mapped[str] = mapped_column(String(100))
    drawn_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class PanelMember(Base):
    """A seat on an application's panel; replaced members stay on record."""

    __tablename__ = "panel_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"), index=True)
    leader: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    draw_id: Mapped[str] = mapped_column(ForeignKey("panel_draws.id"))
    joined_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    left_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    left_reason: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (
        UniqueConstraint("application_id", "purpose", "expert_id", name="uq_panel_members_seat"),
    )


class ExpertScore(Base):
    """One expert's independent scores of one application (percent per item) with comments."""

    __tablename__ = "expert_scores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"))
    scores: Mapped[dict[str, int]] = mapped_column(Json)
    total: Mapped[str] = mapped_column(String(20))
    strengths: Mapped[str] = mapped_column(Text, default="")
    improvements: Mapped[str] = mapped_column(Text, default="")
    # per item code: {"strengths", "opportunities"} (R14.2, R14.4)
    item_comments: Mapped[dict[str, dict[str, str]]] = mapped_column(Json, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("application_id", "purpose", "expert_id", name="uq_expert_scores_once"),
    )


class PanelOpinion(Base):
    """The leader's consolidated opinion and scores for a panel (组长负责制, R9.1)."""

    __tablename__ = "panel_opinions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    leader_expert_id: Mapped[int] = mapped_column(ForeignKey("experts.id"))
    scores: Mapped[dict[str, int]] = mapped_column(Json)
    total: Mapped[str] = mapped_column(String(20))
    category_points: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    opinion: Mapped[str] = mapped_column(Text)
    rationales: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    # the panel's strengths and opportunities per item code, as the leader wrote them (R14.4)
    item_comments: Mapped[dict[str, dict[str, str]]] = mapped_column(Json, default=dict)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # on-site only: visit date and the enterprise's confirmation (R14.5)
    visit_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    confirmation: Mapped[str] = mapped_column(String(20), default="")  # CONFIRMED / DISPUTED / SETTLED
    dispute_reason: Mapped[str] = mapped_column(Text, default="")
    settlement: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    __table_args__ = (UniqueConstraint("application_id", "purpose", name="uq_panel_opinions_once"),)


class FeedbackReport(Base):
    """The feedback report (评审反馈报告) of an application that reached document review, written
    with the result notice that ended its path (R14.4): the structured content (domain/feedback.py)
    and the letter's text, its sha256, and the key of the notice that announced it."""

    __tablename__ = "feedback_reports"
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    notice_key: Mapped[str] = mapped_column(String(200))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


# --- committee, ballot, public notice, objections, approval, certificates -------------------------
class CommitteeMember(Base):
    """The cycle's committee roster (R6.1): chair, vice-chairs, members."""

    __tablename__ = "committee_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[str] = mapped_column(String(20))  # CHAIR / VICE_CHAIR / MEMBER
    post: Mapped[str] = mapped_column(String(100), default="", server_default="")  # 职务 (Art. 6)
    __table_args__ = (UniqueConstraint("cycle_year", "user_id", name="uq_committee_members_seat"),)


class Roster(Base):
    """The roster's approval by the district government and its publication."""

    __tablename__ = "rosters"
    cycle_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(String(20))  # PROPOSED / APPROVED
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    document_no: Mapped[str] = mapped_column(String(100), default="")


class RulesApproval(Base):
    """The committee's approval of a cycle's rules (R7.1), before the call opens."""

    __tablename__ = "rules_approvals"
    cycle_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    rules_hash: Mapped[str] = mapped_column(String(64))
    rules: Mapped[dict[str, Any]] = mapped_column(Json)
    approved_by: Mapped[str] = mapped_column(String(100))
    approved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    note: Mapped[str] = mapped_column(Text, default="")


class CommitteeRecusal(Base):
    """A committee member's interest in a candidate: the member abstains on it (R14.6)."""

    __tablename__ = "committee_recusals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    reason: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("cycle_year", "user_id", "application_id", name="uq_committee_recusals_pair"),
    )


class MajorDecision(Base):
    """A decision of the committee on a major matter arising during the review (Art. 7(1), R7.1):
    taken by a vote of the members present (counts for, against, abstaining) or by the recorded
    consent of members; recorded by the chair or a vice-chair, with its attachments (documents)."""

    __tablename__ = "major_decisions"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2027-D3"
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(20))  # VOTE / CONSENT (domain.decisions.DecisionMethod)
    roster_size: Mapped[int] = mapped_column(Integer)
    present: Mapped[list[str]] = mapped_column(Json, default=list)  # usernames (a vote)
    votes_for: Mapped[int | None] = mapped_column(Integer, nullable=True)
    votes_against: Mapped[int | None] = mapped_column(Integer, nullable=True)
    votes_abstain: Mapped[int | None] = mapped_column(Integer, nullable=True)
    consenting: Mapped[list[str]] = mapped_column(Json, default=list)  # usernames (consent)
    adopted: Mapped[bool] = mapped_column(Boolean)
    basis: Mapped[str] = mapped_column(Text)  # how it was taken, as recorded
    attachments: Mapped[list[str]] = mapped_column(Json, default=list)  # sha256 of stored documents
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_position: Mapped[str] = mapped_column(String(20))  # CHAIR / VICE_CHAIR
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the Idempotency-Key of the request that recorded it: a retried request records nothing twice
    request_key: Mapped[str | None] = mapped_column(String(200), unique=True, nullable=True)
    __table_args__ = (UniqueConstraint("cycle_year", "number", name="uq_major_decisions_number"),)


class WorkReport(Base):
    """The office's evaluation work report (评审工作报告) presented to the plenary (R7.1)."""

    __tablename__ = "work_reports"
    cycle_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    content: Mapped[dict[str, Any]] = mapped_column(Json)
    text: Mapped[str] = mapped_column(Text)
    presented_by: Mapped[str] = mapped_column(String(100))
    presented_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Meeting(Base):
    """The plenary meeting and its secret ballot. Attendance is public; votes are not linked to it."""

    __tablename__ = "meetings"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2027-plenary-1"
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    candidates: Mapped[list[str]] = mapped_column(Json)
    roster_size: Mapped[int] = mapped_column(Integer)
    present: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))  # VOTING / CLOSED
    opened_by: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    tally: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)  # the published tally
    # PLENARY, or RUNOFF (决选投票) among candidates tied across an award's cut-off for `seats` seats
    kind: Mapped[str] = mapped_column(String(20), default="PLENARY", server_default="PLENARY")
    award: Mapped[str | None] = mapped_column(String(20), nullable=True)
    seats: Mapped[int | None] = mapped_column(Integer, nullable=True)


class SeatVacancy(Base):
    """The committee left an award's open seats vacant instead of holding (another) run-off (宁缺毋滥,
    Art. 3; R14.6): who decided, why, and for which tied candidates."""

    __tablename__ = "seat_vacancies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    award: Mapped[str] = mapped_column(String(20))
    seats: Mapped[int] = mapped_column(Integer)
    application_ids: Mapped[list[str]] = mapped_column(Json)
    source: Mapped[str] = mapped_column(String(40))  # the meeting whose tally left the tie
    reason: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (UniqueConstraint("cycle_year", "award", "source", name="uq_seat_vacancies_seats"),)


class BallotTurnout(Base):
    """Who attended and whether they have voted: never what they voted."""

    __tablename__ = "ballot_turnout"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    voted: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (UniqueConstraint("meeting_id", "user_id", name="uq_ballot_turnout_member"),)


class BallotVote(Base):
    """One mark on one candidate, kept for the recount. No voter, no ballot grouping, no time:
    written only when the ballot closes, in canonical order under an id derived from its place in
    it (db/ballot_box.py), so the rows are a function of the published tally."""

    __tablename__ = "ballot_votes"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # uuid5 of meeting/candidate/choice/n
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    candidate_id: Mapped[str] = mapped_column(String(20))
    choice: Mapped[str] = mapped_column(String(10))


class BallotKey(Base):
    """A meeting's ballot key pair (db/ballot_box.py): the public key that ballots are sealed to,
    and the private key only wrapped under the worker's ballot secret (`key_id`), until the close
    destroys it (NULL)."""

    __tablename__ = "ballot_keys"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    wrapped_private_key: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    key_id: Mapped[str] = mapped_column(String(16))


class SealedBallot(Base):
    """One member's whole ballot, sealed to the meeting's public key while the ballot is open. No
    voter, no time, no order: a random key, rewritten with all the others at every cast."""

    __tablename__ = "sealed_ballots"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # random uuid4, new at every cast
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id"), index=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)


class PublicNotice(Base):
    """The preliminary list's 7-day public notice (初选公示, R14.7) and the final list."""

    __tablename__ = "public_notices"
    cycle_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    preliminary: Mapped[dict[str, Any]] = mapped_column(Json)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    final: Mapped[dict[str, Any] | None] = mapped_column(Json, nullable=True)
    final_fixed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    final_fixed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    approval_state: Mapped[str] = mapped_column(String(20), default="")  # APPROVED / RETURNED
    approval_document_no: Mapped[str] = mapped_column(String(100), default="")
    approved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    return_reason: Mapped[str] = mapped_column(Text, default="")
    # Set by the cycle when the notice's timer fires: no objection is taken after it (R14.7).
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    objections_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Objection(Base):
    """An objection filed by the public during the notice, and its investigation."""

    __tablename__ = "objections"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2027-OBJ-1"
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    # the listed organisation the objector named; None for a problem of the notice itself
    application_id: Mapped[str | None] = mapped_column(ForeignKey("applications.id"), nullable=True)
    # the listed candidates it concerns: the one named, or as the office scoped it (R14.7)
    concerns: Mapped[list[str]] = mapped_column(Json, default=list, server_default=text("'[]'"))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(100), default="")
    contact: Mapped[str] = mapped_column(String(200), default="")
    facts: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    state: Mapped[str] = mapped_column(String(30))  # RECORDED / INVESTIGATING / REPORTED
    investigator: Mapped[str | None] = mapped_column(String(100), nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    findings: Mapped[str] = mapped_column(Text, default="")
    conclusion: Mapped[str] = mapped_column(String(20), default="")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    investigate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    digest: Mapped[str | None] = mapped_column(String(64), nullable=True)  # same objection twice = once
    # the supplementary notice (补充公示) it was filed during; None: the preliminary list's notice
    notice_id: Mapped[str | None] = mapped_column(String(40), nullable=True)
    request_key: Mapped[str | None] = mapped_column(String(100), nullable=True)  # Idempotency-Key
    __table_args__ = (
        UniqueConstraint("cycle_year", "digest", name="uq_objections_digest"),
        UniqueConstraint("cycle_year", "request_key", name="uq_objections_request_key"),
        Index("ix_objections_pending", "cycle_year", "investigate", "state"),
    )


class CommitteeReview(Base):
    """审查 (Art. 14(5)): the committee's decision on a substantiated finding about a candidate,
    given by the chair or a vice-chair for the committee: REMOVE or KEEP, with reasons."""

    __tablename__ = "committee_reviews"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    objection_id: Mapped[str] = mapped_column(ForeignKey("objections.id"))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"))
    decision: Mapped[str] = mapped_column(String(10))  # REMOVE / KEEP
    reasons: Mapped[str] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(100))
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    __table_args__ = (
        UniqueConstraint("objection_id", "application_id", name="uq_committee_reviews_finding"),
    )


class FinalListVersion(Base):
    """Each version of the list proposed to the government (审定批准, R14.8): what it holds, who
    fixed it and when, the return it answers, and the government's decision on it."""

    __tablename__ = "final_list_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    version: Mapped[int] = mapped_column(Integer)
    winners: Mapped[list[dict[str, Any]]] = mapped_column(Json)
    removed: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    reinstated: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    kept: Mapped[dict[str, str]] = mapped_column(Json, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    fixed_by: Mapped[str] = mapped_column(String(100))
    fixed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answers_version: Mapped[int | None] = mapped_column(Integer, nullable=True)  # the returned version
    answers_reason: Mapped[str] = mapped_column(Text, default="")  # the government's reasons for it
    state: Mapped[str] = mapped_column(String(20), default="PENDING")  # PENDING / APPROVED / RETURNED
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    document_no: Mapped[str] = mapped_column(String(100), default="")
    return_reason: Mapped[str] = mapped_column(Text, default="")
    # candidates added after a supplementary notice (补充公示) -> how and why; that notice's id
    supplemented: Mapped[dict[str, str]] = mapped_column(Json, default=dict, server_default=text("'{}'"))
    supplementary_notice: Mapped[str] = mapped_column(String(40), default="", server_default="")
    __table_args__ = (UniqueConstraint("cycle_year", "version", name="uq_final_list_versions_version"),)


class SupplementaryNotice(Base):
    """补充公示 (Art. 14(5), 14(6); R14.7, R14.8): after the government returned a version of the
    list, the committee proposes candidates of the plenary who were not on the published preliminary
    list; they are noticed for 7 days of their own, objections taken against them only."""

    __tablename__ = "supplementary_notices"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)  # "2027-SUPP-1"
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    seq: Mapped[int] = mapped_column(Integer)
    answers_version: Mapped[int] = mapped_column(Integer)  # the returned version
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(Json)  # ListEntry of each, as noticed
    reasons: Mapped[dict[str, str]] = mapped_column(Json)  # candidate -> the committee's reasons
    make_room: Mapped[dict[str, str]] = mapped_column(Json, default=dict)  # taken off for them -> reasons
    note: Mapped[str] = mapped_column(Text, default="")
    proposed_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closes_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Set by the cycle when the notice's timer fires: no objection is taken after it.
    closed: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    __table_args__ = (
        UniqueConstraint("cycle_year", "seq", name="uq_supplementary_notices_seq"),
        UniqueConstraint("cycle_year", "answers_version", name="uq_supplementary_notices_return"),
    )


class Certificate(Base):
    """A winner's certificate and plaque (R15.1); the number is unique."""

    __tablename__ = "certificates"
    number: Mapped[str] = mapped_column(String(60), primary_key=True)
    cycle_year: Mapped[int] = mapped_column(Integer, index=True)
    award: Mapped[str] = mapped_column(String(20))
    application_id: Mapped[str] = mapped_column(ForeignKey("applications.id"), unique=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"))
    text: Mapped[str] = mapped_column(Text)
    plaque_text: Mapped[str] = mapped_column(Text)
    workflow_id: Mapped[str] = mapped_column(String(100))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # After the award (Art. 17): ACTIVE, REVOCATION_PROPOSED or REVOKED; recoveries recorded by the office.
    status: Mapped[str] = mapped_column(String(30), default="ACTIVE", server_default="ACTIVE")
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revocation_document_no: Mapped[str] = mapped_column(String(100), default="", server_default="")
    certificate_recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    trophy_recovered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class RevocationCase(Base):
    """A proposal to revoke an award (R17.2): the committee proposes, the government decides."""

    __tablename__ = "revocation_cases"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "{certificate}-R{n}"
    certificate_number: Mapped[str] = mapped_column(ForeignKey("certificates.number"), index=True)
    state: Mapped[str] = mapped_column(String(20))  # PROPOSED, APPROVED, REJECTED
    reason: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    proposed_by: Mapped[str] = mapped_column(String(100))
    proposed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    decided_by: Mapped[str] = mapped_column(String(100), default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    document_no: Mapped[str] = mapped_column(String(100), default="")
    decision_reason: Mapped[str] = mapped_column(Text, default="")


class MediaExposure(Base):
    """The exposure of an approved revocation in the district's main news media (Art. 17,
    在区级主要新闻媒体上予以曝光): owed from the approval, recorded by the office once published."""

    __tablename__ = "media_exposures"
    case_id: Mapped[str] = mapped_column(ForeignKey("revocation_cases.id"), primary_key=True)
    certificate_number: Mapped[str] = mapped_column(ForeignKey("certificates.number"), index=True)
    state: Mapped[str] = mapped_column(
        String(20)
    )  # OWED, OVERDUE, PUBLISHED (domain.aftercare.ExposureState)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    medium: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    place: Mapped[str] = mapped_column(Text, default="")  # page, section or programme
    url: Mapped[str] = mapped_column(Text, default="")
    document_sha256: Mapped[str | None] = mapped_column(ForeignKey("documents.sha256"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class MisuseCase(Base):
    """A reported misuse of the title (R19.1), with its correction deadline."""

    __tablename__ = "misuse_cases"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # "{certificate}-M{n}"
    certificate_number: Mapped[str] = mapped_column(ForeignKey("certificates.number"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("enterprises.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    facts: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(30))
    opened_by: Mapped[str] = mapped_column(String(100))
    ordered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    correction: Mapped[str] = mapped_column(Text, default="")
    correction_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    verified_by: Mapped[str] = mapped_column(String(100), default="")
    verification_note: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    workflow_id: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of the last record applied


class FollowUp(Base):
    """One follow-up round of a winner (R18.1) and the experience published from it."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_number: Mapped[str] = mapped_column(ForeignKey("certificates.number"), index=True)
    round_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20))
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    report: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(100), default="")
    reported_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    experience_title: Mapped[str] = mapped_column(Text, default="")
    experience_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # of the last record applied
    __table_args__ = (UniqueConstraint("certificate_number", "round_no", name="uq_follow_ups_round"),)


class StepFailure(Base):
    """A workflow step that the database refused for its data (P6): the step ended, the office sees
    it here and may retry it once the cause is mended; it never retries forever."""

    __tablename__ = "step_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workflow_id: Mapped[str] = mapped_column(String(120), index=True)
    step: Mapped[str] = mapped_column(Text)
    code: Mapped[str] = mapped_column(String(60))
    error: Mapped[str] = mapped_column(Text)
    cycle_year: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    resolved_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class OnsiteList(Base):
    """The list for on-site review the office fixed from the document review opinions (R14.3)."""

    __tablename__ = "onsite_lists"
    cycle_year: Mapped[int] = mapped_column(Integer, primary_key=True)
    listed: Mapped[list[str]] = mapped_column(Json, default=list)
    not_listed: Mapped[list[str]] = mapped_column(Json, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    fixed_by: Mapped[str] = mapped_column(String(100))
    fixed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RateLimitWindow(Base):
    """Requests counted in one fixed window of one rate-limit bucket (P6), shared by every API
    process. The bucket names the limit and a keyed hash of what it counts (never a raw IP address).
    UNLOGGED: counters are short-lived and worth no WAL; a crash only empties them."""

    __tablename__ = "rate_limits"
    bucket: Mapped[str] = mapped_column(Text, primary_key=True)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True, index=True)
    hits: Mapped[int] = mapped_column(Integer)
    __table_args__ = {"prefixes": ["UNLOGGED"]}


# --- rest days (民法典 第二百零三条) ------------------------------------------------------------------
class HolidayCalendarYear(Base):
    """A year's statutory holidays and adjusted working days that the office recorded from the State
    Council's notice (years shipped with the code, domain/holidays/*.json, are not stored here)."""

    __tablename__ = "holiday_calendars"
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    holidays: Mapped[list[str]] = mapped_column(Json, default=list)  # ISO dates
    workdays: Mapped[list[str]] = mapped_column(Json, default=list)  # ISO dates
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
