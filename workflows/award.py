"""AwardWorkflow (`award-{year}-{n}`): a winner's award, long-lived. It holds the award's facts and is
where follow-up (Art. 18), misuse cases (Art. 19) and revocation (Art. 17) will be carried."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from workflows.messages import AwardFacts


@workflow.defn
class AwardWorkflow:
    @workflow.init
    def __init__(self, facts: AwardFacts) -> None:
        self.facts = facts
        self.ended = False

    @workflow.run
    async def run(self, facts: AwardFacts) -> AwardFacts:
        workflow.set_current_details(
            f"Awarded: certificate {facts.certificate_number}, approved by {facts.approval_document_no}; "
            "holds the award for follow-up, misuse cases and revocation"
        )
        # The award lives on for years; follow-up, misuse and revocation steps will arrive as updates.
        await workflow.wait_condition(lambda: self.ended)
        return self.facts

    @workflow.query
    def award_facts(self) -> AwardFacts:
        return self.facts
