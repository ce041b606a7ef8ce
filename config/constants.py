"""Names shared by workflows, worker, API and the operators' tooling."""

from __future__ import annotations

TASK_QUEUE = "quality-award"

# Custom search attributes (P3). Registered on the dev server at launch, by the
# docker-compose set-up job in production and by the test fixtures.
SA_YEAR = "AwardYear"  # Int
SA_AWARD = "AwardType"  # Keyword: QUALITY / INNOVATION
SA_STAGE = "AwardStage"  # Keyword: domain.types.Stage
SA_CREDIT_CODE = "EnterpriseCreditCode"  # Keyword (organisation registry code, public data)
SA_OUTCOME = "AwardOutcome"  # Keyword

SEARCH_ATTRIBUTES: dict[str, str] = {
    SA_YEAR: "Int",
    SA_AWARD: "Keyword",
    SA_STAGE: "Keyword",
    SA_CREDIT_CODE: "Keyword",
    SA_OUTCOME: "Keyword",
}


def cycle_workflow_id(year: int) -> str:
    return f"award-cycle-{year}"


def application_workflow_id(application_id: str) -> str:
    # application ids already carry the year: "2027-0003" -> "application-2027-0003"
    return f"application-{application_id}"


def misuse_workflow_id(case_id: str) -> str:
    # case ids carry the certificate number: "LCZLJ-2027-Q-01-M1" -> "misuse-LCZLJ-2027-Q-01-M1"
    return f"misuse-{case_id}"


def objection_workflow_id(objection_id: str) -> str:
    # "2027-OBJ-12" -> "objection-2027-obj-12"
    return f"objection-{objection_id.lower()}"
