"""The call for applications: what an application holds and until when (R13.1, R3.2, P2)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from domain.calendar import CST
from domain.eligibility import Condition
from domain.errors import DomainError
from domain.intake import (
    DocumentRef,
    Submission,
    check_intake_open,
    validate_documents,
    validate_extension,
    validate_submission,
)
from domain.types import Award, DocumentKind

DEADLINE = datetime(2027, 3, 31, 17, 0, tzinfo=CST)
BEFORE = DEADLINE - timedelta(minutes=1)
CODE = "91330102MA2H3K5P7U"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


SELF_ASSESSMENT = DocumentRef(DocumentKind.SELF_ASSESSMENT_REPORT, sha("自我评价报告"), "自我评价报告.pdf")
FORM = DocumentRef(DocumentKind.APPLICATION_FORM, sha("申报表"), "申报表.pdf")
EVIDENCE = DocumentRef(DocumentKind.EVIDENCE, sha("ISO 9001 证书"), "证书.pdf")


def submission(*documents: DocumentRef, credit_code: str = CODE) -> Submission:
    return Submission(
        credit_code=credit_code,
        award=Award.QUALITY,
        documents=documents or (SELF_ASSESSMENT, FORM, EVIDENCE),
        submitted_by="ent-91330102",
        contact_name="张三",
        contact_phone="0577-88888888",
    )


def submit(sub: Submission, *, now: datetime = BEFORE, intake_open: bool = True, applicants=()) -> None:
    validate_submission(sub, now=now, deadline=DEADLINE, intake_open=intake_open, applicants=applicants)


def assert_error(info: pytest.ExceptionInfo[DomainError], code: str, status: int) -> DomainError:
    assert info.value.code == code
    assert info.value.status == status
    assert info.value.message_zh and info.value.message_en
    return info.value


@pytest.mark.req("R13.1")
@pytest.mark.req("R3.2")
def test_the_enterprises_complete_application_before_the_deadline_is_accepted() -> None:
    submit(submission())
    submit(submission(), applicants={"91110000600037341L"})  # other organisations have applied
    supports = DocumentRef(
        DocumentKind.EVIDENCE,
        sha("抽查报告"),
        "近三年监督抽查报告.pdf",
        (Condition.SPOT_CHECKS, Condition.QMS_CERTIFICATION),
    )
    submit(submission(SELF_ASSESSMENT, FORM, EVIDENCE, supports))  # evidence may name its conditions


@pytest.mark.req("R13.1")
@pytest.mark.parametrize(
    "now",
    [DEADLINE, DEADLINE + timedelta(seconds=1), datetime(2027, 4, 1, 0, 0, tzinfo=CST)],
    ids=["at-deadline", "one-second-late", "next-day"],
)
def test_late_submission_is_refused_with_409(now: datetime) -> None:
    with pytest.raises(DomainError) as info:
        submit(submission(), now=now)
    err = assert_error(info, "INTAKE_CLOSED", 409)
    assert "2027年3月31日 17:00" in err.message_zh


@pytest.mark.req("R13.1")
def test_deadline_compares_instants_not_wall_clocks() -> None:
    # 08:59 UTC is 16:59 CST: still open.
    submit(submission(), now=datetime(2027, 3, 31, 8, 59, tzinfo=UTC))
    with pytest.raises(DomainError) as info:
        submit(submission(), now=datetime(2027, 3, 31, 9, 0, tzinfo=UTC))
    assert_error(info, "INTAKE_CLOSED", 409)


@pytest.mark.req("R13.1")
def test_closed_intake_refuses_even_before_the_deadline() -> None:
    with pytest.raises(DomainError) as info:
        submit(submission(), intake_open=False)
    assert_error(info, "INTAKE_CLOSED", 409)
    with pytest.raises(DomainError) as info:
        check_intake_open(now=BEFORE, deadline=DEADLINE, intake_open=False)
    assert_error(info, "INTAKE_CLOSED", 409)
    check_intake_open(now=BEFORE, deadline=DEADLINE, intake_open=True)


@pytest.mark.req("R13.1")
@pytest.mark.req("R3.2")
def test_duplicate_application_is_refused_with_409() -> None:
    with pytest.raises(DomainError) as info:
        submit(submission(), applicants={CODE})
    err = assert_error(info, "DUPLICATE_APPLICATION", 409)
    assert "每年只能申报一次" in err.message_zh


@pytest.mark.req("R13.1")
def test_late_wins_over_duplicate() -> None:
    with pytest.raises(DomainError) as info:
        submit(submission(), now=DEADLINE, applicants={CODE})
    assert_error(info, "INTAKE_CLOSED", 409)


@pytest.mark.req("R13.1")
@pytest.mark.parametrize(
    ("documents", "missing_zh"),
    [
        ((FORM, EVIDENCE), ["自我评价报告"]),
        ((SELF_ASSESSMENT, EVIDENCE), ["申报表"]),
        ((EVIDENCE,), ["自我评价报告", "申报表"]),
        ((SELF_ASSESSMENT, FORM), ["证明材料"]),  # Art. 13: "并提供相关证明材料"
        ((), ["自我评价报告", "申报表", "证明材料"]),
    ],
)
def test_missing_self_assessment_application_form_or_evidence_is_refused(
    documents: tuple[DocumentRef, ...], missing_zh: list[str]
) -> None:
    with pytest.raises(DomainError) as info:
        validate_documents(documents)
    err = assert_error(info, "DOCUMENTS_MISSING", 422)
    for name in missing_zh:
        assert name in err.message_zh
    with pytest.raises(DomainError) as info:
        submit(Submission(CODE, Award.INNOVATION, documents, "ent-91330102"))
    assert_error(info, "DOCUMENTS_MISSING", 422)


@pytest.mark.req("R13.1")
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    "bad_sha",
    [
        "",
        "abc123",
        sha("x")[:-1],  # 63 characters
        sha("x") + "0",  # 65 characters
        sha("x")[:-1] + "g",  # not hex
        sha("x").upper(),  # upper case is not the canonical form
        " " + sha("x"),
        "../../etc/passwd",
    ],
)
def test_malformed_document_reference_is_refused(bad_sha: str) -> None:
    bad = DocumentRef(DocumentKind.EVIDENCE, bad_sha)
    with pytest.raises(DomainError) as info:
        validate_documents((SELF_ASSESSMENT, FORM, bad))
    assert_error(info, "DOCUMENT_REF_INVALID", 422)


@pytest.mark.req("R13.1")
@pytest.mark.req("P2")
def test_document_reference_with_a_trailing_newline_is_refused() -> None:
    """`re.match` with `$` accepts a trailing newline; a document id must be exactly 64 hex characters."""
    bad = DocumentRef(DocumentKind.EVIDENCE, sha("x") + "\n")
    with pytest.raises(DomainError) as info:
        validate_documents((SELF_ASSESSMENT, FORM, bad))
    assert_error(info, "DOCUMENT_REF_INVALID", 422)


@pytest.mark.req("R13.1")
@pytest.mark.req("P2")
def test_the_same_document_twice_is_refused() -> None:
    twice = DocumentRef(DocumentKind.EVIDENCE, SELF_ASSESSMENT.sha256)
    with pytest.raises(DomainError) as info:
        validate_documents((SELF_ASSESSMENT, FORM, twice))
    assert_error(info, "DOCUMENT_REF_DUPLICATE", 422)


@pytest.mark.req("R13.1")
@pytest.mark.parametrize(
    ("document", "code"),
    [
        (
            DocumentRef(DocumentKind.APPLICATION_FORM, sha("表"), "表", (Condition.INNOVATION,)),
            "DOCUMENT_CONDITIONS_KIND",
        ),
        (
            DocumentRef(DocumentKind.EVIDENCE, sha("证"), "证", (Condition.INNOVATION, Condition.INNOVATION)),
            "DOCUMENT_CONDITIONS_DUPLICATE",
        ),
        (
            DocumentRef(DocumentKind.EVIDENCE, sha("证"), "证", (Condition.NOT_BANNED,)),
            "DOCUMENT_CONDITION_NOT_EVIDENCED",
        ),
    ],
    ids=["not-evidence", "twice", "the-ban"],
)
def test_only_evidence_names_the_art_11_conditions_it_supports(document: DocumentRef, code: str) -> None:
    with pytest.raises(DomainError) as info:
        validate_documents((SELF_ASSESSMENT, FORM, EVIDENCE, document))
    assert_error(info, code, 422)


# --- extending the deadline --------------------------------------------------------------------------


def extend(
    *,
    now: datetime = BEFORE,
    new_deadline: datetime = DEADLINE + timedelta(days=7),
    intake_open: bool = True,
    reason: str = "部分企业年度审计报告尚未出具",
) -> None:
    validate_extension(
        now=now, current=DEADLINE, new_deadline=new_deadline, intake_open=intake_open, reason=reason
    )


@pytest.mark.req("R13.1")
def test_extension_before_the_deadline_with_a_reason_is_accepted() -> None:
    extend()
    extend(new_deadline=DEADLINE + timedelta(seconds=1))


@pytest.mark.req("R13.1")
@pytest.mark.req("P2")
@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"now": DEADLINE}, "INTAKE_CLOSED", 409),
        ({"intake_open": False}, "INTAKE_CLOSED", 409),
        ({"new_deadline": datetime(2027, 4, 7, 17, 0)}, "DEADLINE_TIMEZONE", 422),
        ({"new_deadline": DEADLINE}, "DEADLINE_NOT_LATER", 422),
        ({"new_deadline": DEADLINE - timedelta(days=1)}, "DEADLINE_NOT_LATER", 422),
        ({"reason": ""}, "REASON_REQUIRED", 422),
        ({"reason": "  \t"}, "REASON_REQUIRED", 422),
    ],
)
def test_extension_rules(kwargs: dict, code: str, status: int) -> None:
    with pytest.raises(DomainError) as info:
        extend(**kwargs)
    assert_error(info, code, status)


@pytest.mark.req("R13.1")
def test_extension_to_the_same_instant_in_another_zone_is_not_later() -> None:
    with pytest.raises(DomainError) as info:
        extend(new_deadline=DEADLINE.astimezone(UTC))
    err = assert_error(info, "DEADLINE_NOT_LATER", 422)
    assert "2027年3月31日 17:00" in err.message_zh
