"""The feedback report of an application (评审反馈报告, R14.4): item by item the panel's scoring band,
strengths and opportunities for improvement, and the on-site findings; written by the worker with the
result letter that ended the application's path (activities/feedback.py).

Who reads it: the enterprise its own, the office and the auditor (纪检). Not another enterprise, not
the experts (their part ended with their opinion; the report is the panel's word to the applicant),
not the committee or the government."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from db import models as m
from db import repositories as repo
from db import review_queries as rq
from domain.types import Role

from ..deps import Session, User, gate
from ..errors import not_found
from ..http_security import download_headers
from ..resources.application import Access
from ..responses.feedback import FeedbackReportOut

router = APIRouter(tags=["review"])
READERS = gate(Role.OFFICE, Role.ENTERPRISE, Role.AUDITOR)
OwnApplication = Annotated[
    m.Application,
    Access(
        "只能查阅本单位的评审反馈报告", "You may only read your own organisation's feedback report"
    ).dependency(),
]


async def readable_report(app: OwnApplication, s: Session) -> m.FeedbackReport:
    """The application's report, for its own enterprise, the office or the auditor; 404 until it is
    issued (the path has not ended yet, or ended before document review)."""
    report = await rq.feedback_report(s, app.id)
    if report is None:
        raise not_found(
            "评审反馈报告（该申报的评审尚未结束，或未进入资料评审）",
            "Feedback report (the application's review has not ended, or it never reached document review)",
        )
    return report


Report = Annotated[m.FeedbackReport, Depends(readable_report)]


@router.get(
    "/applications/{application_id}/feedback",
    response_model=FeedbackReportOut,
    summary="The application's feedback report: per item the band, strengths and opportunities (R14.4)",
    dependencies=[READERS],
)
async def feedback(report: Report) -> FeedbackReportOut:
    return FeedbackReportOut.model_validate(report)


@router.get(
    "/applications/{application_id}/feedback/letter",
    response_class=Response,
    responses={
        200: {
            "content": {"text/plain": {}},
            "description": "The report as issued, a UTF-8 text document (an attachment)",
        }
    },
    summary="Download the feedback report as issued (a UTF-8 text document, an attachment)",
    dependencies=[READERS],
)
async def feedback_letter(report: Report, s: Session, user: User) -> Response:
    # who read which report, and when (P4), as for any document
    await repo.audit_by(
        s,
        user,
        "FEEDBACK_REPORT_DOWNLOADED",
        "application",
        report.application_id,
        at=datetime.now(UTC),
        details={"sha256": report.sha256},
    )
    return Response(
        report.text.encode("utf-8"),
        media_type="text/plain; charset=utf-8",
        headers=download_headers(f"{report.title}-{report.application_id}.txt", report.sha256),
    )
