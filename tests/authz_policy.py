"""Who may call what: the expected access policy of every route of the API, as data (R20.2, R6.1, P6).

tests/api/test_api_authz_matrix.py sends every route a request as every role (and as nobody) and
checks the answer against this table; a route of the app that is missing here fails that test, and
so does an entry here for a route the app no longer has.

A new route: add one line `("METHOD", "/path/{param}"): allow(...)`. A new role: add it to
`domain.types.Role` and one line to `PRINCIPALS` in the test; `USERS` and `ANY_ACCOUNT` take it in
at once, and the routes it may call name it in `allow(...)`.

- `allow(*roles)`: these roles are let through (never 401/403); every other role gets 403, an
  anonymous caller 401.
- `own=(...)`: roles let through only for their own records (their organisation's application,
  the panel they sit on, their own expert record): they may be refused for the probe's record,
  which the ownership probes of the test check case by case.
- `chair_only=True`: of the committee, only the chair and vice-chairs (a plain member is refused
  by the seat check).
- `PUBLIC`: no sign-in needed; nobody is refused.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.types import Role

O, E, X, C, G, A = Role.OFFICE, Role.ENTERPRISE, Role.EXPERT, Role.COMMITTEE, Role.GOVERNMENT, Role.ADMIN  # noqa: E741
AU = Role.AUDITOR  # 纪检: reads the audit log, decisions and records; every write is refused (api.deps)
ANY_ACCOUNT = frozenset(Role)  # any signed-in account, the administrator included
USERS = frozenset(Role) - {Role.ADMIN}  # any account of the award's procedure (api.deps.current_user)


@dataclass(frozen=True)
class Rule:
    allowed: frozenset[Role] = frozenset()
    own: frozenset[Role] = frozenset()  # allowed for their own records only
    public: bool = False
    # committee routes for the chair and vice-chairs only: a plain member is refused by the seat
    # check, after the body is read (the ownership probes of the test check it with a valid body)
    chair_only: bool = False


def allow(*roles: Role | frozenset[Role], own: tuple[Role, ...] = (), chair_only: bool = False) -> Rule:
    flat: set[Role] = set()
    for r in roles:
        flat |= r if isinstance(r, frozenset) else {r}
    return Rule(frozenset(flat), frozenset(own), chair_only=chair_only)


PUBLIC = Rule(public=True)
COMMITTEE_RECORDS = (O, G, C, AU)
AWARD_READERS = (O, C, G, E)

POLICY: dict[tuple[str, str], Rule] = {
    # --- the API's own pages and probes
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/health"): PUBLIC,
    # --- sign-in and accounts (R6.1: the admin manages office, committee and government accounts,
    # the office enterprise and expert accounts)
    ("POST", "/auth/token"): PUBLIC,
    ("POST", "/auth/refresh"): PUBLIC,
    ("POST", "/auth/invitations/accept"): PUBLIC,
    ("POST", "/auth/logout"): allow(ANY_ACCOUNT),
    ("GET", "/auth/me"): allow(ANY_ACCOUNT),
    ("POST", "/auth/password"): allow(ANY_ACCOUNT),
    ("POST", "/auth/email"): allow(ANY_ACCOUNT),  # my own e-mail for my personal notices
    ("POST", "/users"): allow(A, O),
    ("GET", "/users"): allow(A, O),
    ("POST", "/users/{username}/invitation"): allow(A, O),
    ("POST", "/users/{username}/deactivate"): allow(A, O),
    ("POST", "/users/{username}/email"): allow(A, O),
    # --- enterprises, experts, conflicts
    ("POST", "/enterprises"): allow(O),
    ("GET", "/enterprises"): allow(O, AU),
    ("GET", "/enterprises/{credit_code}"): allow(O, AU, own=(E,)),
    ("POST", "/enterprises/{credit_code}/facts"): allow(O),
    ("POST", "/enterprises/{credit_code}/contact-email"): allow(O),
    ("GET", "/enterprises/{credit_code}/facts"): allow(O, AU),
    ("POST", "/enterprises/{credit_code}/conflicts"): allow(O, own=(E,)),
    ("POST", "/revocations"): allow(O),
    ("GET", "/revocations"): allow(O, AU),
    ("POST", "/experts"): allow(O),
    ("GET", "/experts"): allow(O, AU),
    ("GET", "/experts/{expert_id}"): allow(O, AU, own=(X,)),
    ("POST", "/experts/{expert_id}/availability"): allow(O, own=(X,)),
    ("POST", "/experts/{expert_id}/discipline"): allow(O),
    ("POST", "/experts/{expert_id}/conflicts"): allow(O, own=(X,)),
    ("GET", "/conflicts"): allow(O, AU),
    # the experts' undertaking of a cycle (承诺书, Art. 20): the office publishes, each expert signs
    ("GET", "/cycles/{year}/undertaking"): allow(O, X, AU),
    ("POST", "/cycles/{year}/undertaking"): allow(O),
    ("POST", "/cycles/{year}/undertaking/signature"): allow(X),
    ("GET", "/cycles/{year}/undertaking/signatures"): allow(O, AU),
    ("POST", "/conflicts/{conflict_id}/confirm"): allow(O),
    ("POST", "/conflicts/{conflict_id}/dismiss"): allow(O),
    # --- the cycle, the committee, the plenary
    ("POST", "/cycles"): allow(O),
    ("GET", "/cycles/{year}"): allow(USERS),
    ("POST", "/cycles/{year}/deadline"): allow(O),
    ("POST", "/cycles/{year}/committee"): allow(O),
    ("POST", "/cycles/{year}/committee/approve"): allow(G),
    ("GET", "/cycles/{year}/committee"): PUBLIC,
    ("POST", "/cycles/{year}/rules/approve"): allow(C, chair_only=True),
    ("POST", "/cycles/{year}/committee/recusals"): allow(O, C),
    ("POST", "/cycles/{year}/meeting"): allow(O),
    ("GET", "/cycles/{year}/work-report"): allow(*COMMITTEE_RECORDS),
    ("GET", "/cycles/{year}/work-report/pdf"): allow(*COMMITTEE_RECORDS),
    ("POST", "/meetings/{meeting_id}/ballot"): allow(C),
    ("POST", "/cycles/{year}/meeting/close"): allow(O),
    ("POST", "/cycles/{year}/runoff"): allow(O),
    ("POST", "/cycles/{year}/runoff/vacancy"): allow(C, chair_only=True),
    ("GET", "/meetings/{meeting_id}"): allow(*COMMITTEE_RECORDS),
    ("GET", "/meetings/{meeting_id}/recount"): allow(*COMMITTEE_RECORDS),
    ("POST", "/cycles/{year}/final-list"): allow(C, chair_only=True),
    ("POST", "/cycles/{year}/supplementary-notice"): allow(C, chair_only=True),
    ("POST", "/cycles/{year}/approval"): allow(G),
    ("POST", "/cycles/{year}/committee/decisions"): allow(C, chair_only=True),
    ("GET", "/cycles/{year}/committee/decisions"): allow(*COMMITTEE_RECORDS),
    ("GET", "/cycles/{year}/committee/decisions/{decision_id}"): allow(*COMMITTEE_RECORDS),
    ("GET", "/cycles/{year}/timeline"): allow(*COMMITTEE_RECORDS),
    ("GET", "/cycles/{year}/final-list/versions"): allow(*COMMITTEE_RECORDS),
    # --- public notice, objections, results
    ("GET", "/public/preliminary/{year}"): PUBLIC,
    ("POST", "/public/objections/{year}"): PUBLIC,
    ("GET", "/public/results/{year}"): PUBLIC,
    ("GET", "/public/notices"): PUBLIC,
    ("GET", "/public/notices/{notice_id}/pdf"): PUBLIC,
    ("GET", "/public/certificates/{number}"): PUBLIC,
    # --- the public portal's pages (api/routes/portal.py): HTML, no sign-in
    ("GET", "/portal/"): PUBLIC,
    ("GET", "/portal/notices"): PUBLIC,
    ("GET", "/portal/notices/{notice_id}"): PUBLIC,
    ("GET", "/portal/{year}/committee"): PUBLIC,
    ("GET", "/portal/{year}/preliminary"): PUBLIC,
    ("POST", "/portal/{year}/objections"): PUBLIC,
    ("GET", "/portal/{year}/objections"): PUBLIC,
    ("GET", "/portal/{year}/results"): PUBLIC,
    ("GET", "/portal/certificates"): PUBLIC,
    ("GET", "/portal/static/portal.css"): PUBLIC,
    ("GET", "/objections"): allow(*COMMITTEE_RECORDS),  # members of the year: reports go to the committee
    ("POST", "/objections/{objection_id}/scope"): allow(O),
    ("POST", "/objections/{objection_id}/decision"): allow(C, chair_only=True),
    ("POST", "/objections/{objection_id}/investigator"): allow(O),
    ("POST", "/objections/{objection_id}/report"): allow(O),
    # --- documents and applications
    ("POST", "/documents"): allow(E),
    ("GET", "/documents/{sha256}"): allow(O, AU, own=(E, X)),
    ("POST", "/cycles/{year}/applications"): allow(E),
    ("GET", "/applications"): allow(O, E, AU),
    ("GET", "/applications/{application_id}"): allow(O, AU, own=(E, X)),
    ("POST", "/applications/{application_id}/qualification-decision"): allow(O),
    ("GET", "/cycles/{year}/reports/sectors"): allow(O, AU),
    # --- review
    ("POST", "/cycles/{year}/panels"): allow(O),
    ("GET", "/draws/{draw_id}"): allow(O, C, G, AU),
    ("GET", "/draws/{draw_id}/verify"): allow(O, C, G, AU),
    ("GET", "/cycles/{year}/document-scores"): allow(O, AU),
    ("POST", "/cycles/{year}/onsite-list"): allow(O),
    ("POST", "/applications/{application_id}/panel/replace"): allow(O),
    ("POST", "/applications/{application_id}/onsite-settlement"): allow(O),
    ("GET", "/expert/assignments"): allow(X),
    ("POST", "/applications/{application_id}/scores"): allow(own=(X,)),
    ("GET", "/applications/{application_id}/scores"): allow(O, AU, own=(X,)),
    ("POST", "/applications/{application_id}/panel-opinion"): allow(own=(X,)),
    ("POST", "/applications/{application_id}/onsite-report"): allow(own=(X,)),
    ("POST", "/applications/{application_id}/onsite-confirmation"): allow(own=(E,)),
    ("GET", "/applications/{application_id}/reviews"): allow(O, AU, own=(E, X)),
    # the feedback report (R14.4): the enterprise its own; never the experts, committee or government
    ("GET", "/applications/{application_id}/feedback"): allow(O, AU, own=(E,)),
    ("GET", "/applications/{application_id}/feedback/letter"): allow(O, AU, own=(E,)),
    # --- notices
    ("GET", "/notices"): allow(O, E, X),
    ("POST", "/notices/{notice_id}/read"): allow(O, own=(E,)),
    ("GET", "/notices/{notice_id}/pdf"): allow(O, own=(E, X)),
    # the notices' e-mails that did not go out (the office retries; the auditor reads)
    ("GET", "/notice-deliveries"): allow(O, AU),
    ("POST", "/notice-deliveries/{delivery_id}/retry"): allow(O),
    # --- audit, operations
    ("GET", "/audit"): allow(O, AU),
    ("GET", "/audit/verify"): allow(O, AU),
    ("GET", "/audit/export"): allow(O, AU),
    # --- exports (CSV, XLSX): scores without the experts' names, panels with them (office only)
    ("GET", "/cycles/{year}/exports/scores.{fmt}"): allow(O, C, AU),
    ("GET", "/cycles/{year}/exports/panels.{fmt}"): allow(O),
    ("GET", "/cycles/{year}/exports/lists.{fmt}"): allow(*COMMITTEE_RECORDS),
    ("GET", "/exports/audit-log.{fmt}"): allow(O, AU),
    # --- the Temporal payload codec server (the office's operators read decrypted payloads)
    ("POST", "/codec/decode"): allow(O),
    ("POST", "/codec/encode"): allow(O),
    ("POST", "/codec/session"): allow(O),
    # --- the rest-day calendar (day counting by the Civil Code)
    ("GET", "/holiday-calendars"): allow(USERS),
    ("GET", "/holiday-calendars/{year}"): allow(USERS),
    ("POST", "/holiday-calendars/{year}"): allow(O),
    ("GET", "/step-failures"): allow(O),
    ("POST", "/step-failures/{failure_id}/retry"): allow(O),
    # --- awards after publication
    ("GET", "/certificates/{number}"): allow(O, C, G, AU, own=(E,)),
    ("GET", "/certificates/{number}/pdf"): allow(O, C, G, AU, own=(E,)),
    ("GET", "/awards"): allow(AU, *AWARD_READERS),
    ("GET", "/awards/{number}"): allow(O, C, G, AU, own=(E,)),
    ("POST", "/awards/{number}/revocation"): allow(C),
    ("POST", "/awards/{number}/revocation/decision"): allow(G),
    ("POST", "/awards/{number}/recovery"): allow(O),
    ("POST", "/awards/{number}/media-exposure"): allow(O),
    ("POST", "/awards/{number}/misuse"): allow(O),
    ("GET", "/misuse-cases/{case_id}"): allow(O, C, G, AU, own=(E,)),
    ("POST", "/misuse-cases/{case_id}/correction"): allow(own=(E,)),
    ("POST", "/misuse-cases/{case_id}/verification"): allow(O),
    ("POST", "/awards/{number}/follow-up"): allow(own=(E,)),
    ("POST", "/awards/{number}/experience"): allow(O),
}
