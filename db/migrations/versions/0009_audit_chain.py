"""audit chain: every audit row hash-chained to the one before; the table insert-only (P4, P7)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:00:00

Rows already in the log are chained in id order (the order they were written in). Then the
table refuses UPDATE, DELETE and TRUNCATE through a trigger, whoever asks — the application's
role, its owner and a superuser alike; only a role that may disable the trigger (the table's owner
or a superuser, `ALTER TABLE audit_log DISABLE TRIGGER …`) can change a row, and the chain then
names the row (`python -m audit verify`). See db/audit_log.py for how rows are appended.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from domain.audit_chain import GENESIS, row_hash

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_REFUSE = """
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- P7, MLPS 2.0 安全审计: the audit log is append-only, for every role
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit rows are only ever inserted (db/audit_log.py); verify with python -m audit verify';
END
$$
"""


def _chain_existing_rows() -> None:
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "select id, key, at, actor, actor_role, action, entity_type, entity_id, reason, details"
            " from audit_log order by id"
        ).columns(details=postgresql.JSONB())  # decoded, as the application reads it back
    ).mappings()
    prev, updates = GENESIS, []
    for seq, r in enumerate(rows, start=1):
        row = {**r, "seq": seq, "prev_hash": prev}
        prev = row_hash(row)
        updates.append({"id": r["id"], "seq": seq, "prev_hash": row["prev_hash"], "row_hash": prev})
    if updates:
        bind.execute(
            sa.text(
                "update audit_log set seq = :seq, prev_hash = :prev_hash, row_hash = :row_hash where id = :id"
            ),
            updates,
        )


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("seq", sa.BigInteger(), nullable=True))
    op.add_column("audit_log", sa.Column("prev_hash", sa.String(length=64), nullable=True))
    op.add_column("audit_log", sa.Column("row_hash", sa.String(length=64), nullable=True))
    _chain_existing_rows()
    for column in ("seq", "prev_hash", "row_hash"):
        op.alter_column("audit_log", column, nullable=False)
    # no two rows at one position: a writer that bypassed the chain's lock would fail, not fork it
    op.create_unique_constraint(op.f("uq_audit_log_seq"), "audit_log", ["seq"])
    op.execute(_REFUSE)
    op.execute(
        "CREATE TRIGGER audit_log_insert_only BEFORE UPDATE OR DELETE ON audit_log"
        " FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_insert_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_refuse_change()")
    op.drop_constraint(op.f("uq_audit_log_seq"), "audit_log", type_="unique")
    op.drop_column("audit_log", "row_hash")
    op.drop_column("audit_log", "prev_hash")
    op.drop_column("audit_log", "seq")
