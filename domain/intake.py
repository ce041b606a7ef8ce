"""The call for applications: who may submit what, and until when (R3.2, R13.1)."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.calendar import format_cst
from domain.eligibility import CONDITIONS, Condition
from domain.errors import conflict, invalid
from domain.types import Award, DocumentKind

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class DocumentRef:
    kind: DocumentKind
    sha256: str
    title: str = ""
    # An evidence document (证明材料) may name the Art. 11 conditions it supports (R13.1, R11.7).
    conditions: tuple[Condition, ...] = ()


# What an application holds (Art. 13): each kind at least once.
REQUIRED_KINDS = {
    DocumentKind.SELF_ASSESSMENT_REPORT: "自我评价报告",
    DocumentKind.APPLICATION_FORM: "申报表",
    DocumentKind.EVIDENCE: "证明材料",
}


@dataclass(frozen=True)
class Submission:
    credit_code: str
    award: Award
    documents: tuple[DocumentRef, ...]
    submitted_by: str  # username of the enterprise account
    contact_name: str = ""
    contact_phone: str = ""


def check_intake_open(*, now: datetime, deadline: datetime, intake_open: bool) -> None:
    if not intake_open or now >= deadline:
        raise conflict(
            "INTAKE_CLOSED",
            f"申报已于{format_cst(deadline)}截止，不再受理申报",
            f"The call closed at {deadline.isoformat()}; no more applications are accepted",
        )


def validate_submission(
    submission: Submission,
    *,
    now: datetime,
    deadline: datetime,
    intake_open: bool,
    applicants: Collection[str],
) -> None:
    """Raise DomainError if the submission cannot be accepted now (late, duplicate, malformed)."""
    check_intake_open(now=now, deadline=deadline, intake_open=intake_open)
    if submission.credit_code in applicants:
        raise conflict(
            "DUPLICATE_APPLICATION",
            "本单位已在本年度提交申报，每个单位每年只能申报一次",
            "This organisation has already applied in this cycle; one application per organisation per year",
        )
    validate_documents(submission.documents)


def validate_documents(documents: Sequence[DocumentRef]) -> None:
    for doc in documents:
        if not _SHA256.fullmatch(doc.sha256):
            raise invalid(
                "DOCUMENT_REF_INVALID",
                f"材料编号格式错误：{doc.sha256}",
                f"Malformed document id (sha256 expected): {doc.sha256}",
            )
    if len({d.sha256 for d in documents}) != len(documents):
        raise invalid("DOCUMENT_REF_DUPLICATE", "同一份材料重复提交", "The same document is listed twice")
    for doc in documents:
        if doc.conditions and doc.kind is not DocumentKind.EVIDENCE:
            raise invalid(
                "DOCUMENT_CONDITIONS_KIND",
                f"只有证明材料可以注明所证明的申报条件（{doc.title or doc.sha256}）",
                f"Only an evidence document names the conditions it supports ({doc.title or doc.sha256})",
            )
        if len(set(doc.conditions)) != len(doc.conditions):
            raise invalid(
                "DOCUMENT_CONDITIONS_DUPLICATE",
                f"证明材料重复注明同一申报条件（{doc.title or doc.sha256}）",
                f"An evidence document names a condition twice ({doc.title or doc.sha256})",
            )
        if Condition.NOT_BANNED in doc.conditions:
            raise invalid(
                "DOCUMENT_CONDITION_NOT_EVIDENCED",
                f"“{CONDITIONS[Condition.NOT_BANNED].title_zh}”以撤销奖励登记为准，不由申报材料证明",
                "Whether a ban is in force follows from the revocation registry, not from a document",
            )
    kinds = {d.kind for d in documents}
    missing = [k for k in REQUIRED_KINDS if k not in kinds]
    if missing:
        raise invalid(
            "DOCUMENTS_MISSING",
            "申报材料不全，缺少："
            + "、".join(REQUIRED_KINDS[k] for k in missing)
            + "（办法第十三条：自我评价报告、申报表及相关证明材料）",
            "The application is incomplete; missing: "
            + ", ".join(missing)
            + " (Art. 13: the self-assessment report, the application form and evidence)",
            missing=[str(k) for k in missing],
        )


def validate_extension(
    *, now: datetime, current: datetime, new_deadline: datetime, intake_open: bool, reason: str
) -> None:
    check_intake_open(now=now, deadline=current, intake_open=intake_open)
    if new_deadline.tzinfo is None:
        raise invalid("DEADLINE_TIMEZONE", "截止时间必须带时区", "The deadline needs a time zone")
    if new_deadline - now > timedelta(days=400):
        raise invalid(
            "DEADLINE_TOO_FAR",
            "新的截止时间不得晚于一年以后",
            "The new deadline may not be more than a year ahead",
        )
    if new_deadline <= current:
        raise invalid(
            "DEADLINE_NOT_LATER",
            f"新的截止时间必须晚于当前截止时间{format_cst(current)}",
            "The new deadline must be later than the current one",
        )
    if not reason.strip():
        raise invalid("REASON_REQUIRED", "延长申报期限须说明理由", "Extending the deadline needs a reason")
