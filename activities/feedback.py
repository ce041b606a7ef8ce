"""The feedback report, written with the result notice that ends an application's path (R14.4).

Not listed for on-site review (after the on-site list is fixed), not awarded or awarded (after
publication): the application's workflow records that last stage with its result letter in one
activity (`record_progress`), and this writes the report, its notice (the outbox) and the audit
entry in the same transaction — all of it or none. The workflows send nothing new: the report is
composed here from the panels' records, so histories recorded before it existed replay unchanged.
"""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from activities.notices import write_notices
from contracts.application import Progress
from contracts.common import NoticeInput
from db import models as m
from db import repositories as repo
from db import review_queries as rq
from domain.feedback import PanelFindings, compose_feedback, feedback_notice
from domain.review import ReviewPurpose, comments_from_json
from domain.rubric import load_rubric
from domain.types import ApplicationStage, Audience, Award, NoticeKind, Outcome

log = logging.getLogger(__name__)

# The stages that end a path after document review, and the outcome each report tells.
ENDING_STAGES = {
    ApplicationStage.NOT_SHORTLISTED: Outcome.NOT_SHORTLISTED,
    ApplicationStage.NOT_AWARDED: Outcome.NOT_AWARDED,
    ApplicationStage.AWARDED: Outcome.AWARDED,
}


def feedback_notice_key(application_id: str) -> str:
    return f"feedback-report-{application_id}"


def _findings(o: m.PanelOpinion) -> PanelFindings:
    return PanelFindings(
        dict(o.scores),
        comments_from_json(o.item_comments),
        o.opinion,
        o.visit_date,
        o.confirmation,
        o.settlement,
    )


async def write_feedback_report(s: AsyncSession, p: Progress) -> None:
    """The report of an application whose path `p` ends, once (keyed by the application), with its
    notice to the enterprise, in the caller's transaction. A progress that ends nothing writes none."""
    outcome = ENDING_STAGES.get(p.stage)
    if outcome is None or await rq.feedback_report(s, p.application_id) is not None:
        return
    row = await rq.application_for_feedback(s, p.application_id)
    if row is None:
        return
    app, enterprise_name, edition = row
    opinions = {ReviewPurpose(o.purpose): o for o in await rq.opinions_of(s, app.id)}
    document = opinions.get(ReviewPurpose.DOCUMENT)
    if document is None:  # never reached the panel's opinion: nothing to report item by item
        log.warning("no feedback report for %s: no document review opinion", app.id)
        return
    onsite = opinions.get(ReviewPurpose.ONSITE)
    report = compose_feedback(
        load_rubric(edition),
        application_id=app.id,
        year=app.cycle_year,
        award=Award(app.award),
        enterprise_name=enterprise_name,
        outcome=outcome,
        document=_findings(document),
        onsite=_findings(onsite) if onsite is not None else None,
        issued_at=p.at,
    )
    key = feedback_notice_key(app.id)
    sha256 = hashlib.sha256(report.text.encode("utf-8")).hexdigest()
    written = await rq.add_feedback_report(
        s,
        application_id=app.id,
        cycle_year=app.cycle_year,
        enterprise_id=app.enterprise_id,
        outcome=outcome,
        title=report.title,
        content=report.content(),
        text=report.text,
        sha256=sha256,
        notice_key=key,
        issued_at=p.at,
    )
    if not written:
        return  # written meanwhile by another attempt
    letter = feedback_notice(report)
    await write_notices(
        s,
        [
            NoticeInput(
                key,
                NoticeKind.FEEDBACK_REPORT,
                Audience.ENTERPRISE,
                letter.title,
                letter.body,
                p.at,
                cycle_year=app.cycle_year,
                enterprise_id=app.enterprise_id,
                application_id=app.id,
            )
        ],
    )
    await repo.audit(
        s,
        key=key,
        at=p.at,
        actor="system",
        actor_role="system",
        action="FEEDBACK_REPORT_ISSUED",
        entity_type="application",
        entity_id=app.id,
        details={"outcome": outcome, "sha256": sha256},
    )
