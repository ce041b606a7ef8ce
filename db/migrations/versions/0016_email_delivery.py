"""e-mail delivery of notices: the enterprises' contact e-mail and the accounts' e-mail, one
delivery row per (notice, channel, address) with each attempt, and the mark of a notice whose
e-mail recipients were decided (notices written before this migration are not e-mailed)

Revision ID: 0016_email_delivery
Revises: 0015_supplementary_notice
Create Date: 2026-12-10 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_email_delivery"
down_revision = "0015_supplementary_notice"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "enterprises", sa.Column("contact_email", sa.String(length=254), server_default="", nullable=False)
    )
    op.add_column("users", sa.Column("email", sa.String(length=254), server_default="", nullable=False))
    op.add_column("notices", sa.Column("mail_planned_at", sa.DateTime(timezone=True), nullable=True))
    # what was published before e-mail existed stays on the portal only
    op.execute("UPDATE notices SET mail_planned_at = now()")
    op.create_index(
        "ix_notices_mail_unplanned",
        "notices",
        ["id"],
        postgresql_where=sa.text("mail_planned_at IS NULL AND delivery_state = 'DELIVERED'"),
    )
    op.create_table(
        "notice_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notice_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=254), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("message_id", sa.String(length=250), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"], ["notices.id"], name=op.f("fk_notice_deliveries_notice_id_notices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_deliveries")),
        sa.UniqueConstraint("notice_id", "channel", "address", name="uq_notice_deliveries_target"),
    )
    op.create_index(op.f("ix_notice_deliveries_notice_id"), "notice_deliveries", ["notice_id"])
    op.create_index("ix_notice_deliveries_state", "notice_deliveries", ["state"])
    op.create_index(
        "ix_notice_deliveries_due",
        "notice_deliveries",
        ["next_attempt_at"],
        postgresql_where=sa.text("state IN ('PENDING', 'FAILED')"),
    )
    op.create_table(
        "notice_delivery_attempts",
        sa.Column("id", sa.BigInteger(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ok", sa.Boolean(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notice_deliveries.id"],
            name=op.f("fk_notice_delivery_attempts_delivery_id_notice_deliveries"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_delivery_attempts")),
    )
    op.create_index(
        op.f("ix_notice_delivery_attempts_delivery_id"), "notice_delivery_attempts", ["delivery_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_notice_delivery_attempts_delivery_id"), table_name="notice_delivery_attempts")
    op.drop_table("notice_delivery_attempts")
    op.drop_index("ix_notice_deliveries_due", table_name="notice_deliveries")
    op.drop_index("ix_notice_deliveries_state", table_name="notice_deliveries")
    op.drop_index(op.f("ix_notice_deliveries_notice_id"), table_name="notice_deliveries")
    op.drop_table("notice_deliveries")
    op.drop_index("ix_notices_mail_unplanned", table_name="notices")
    op.drop_column("notices", "mail_planned_at")
    op.drop_column("users", "email")
    op.drop_column("enterprises", "contact_email")
