"""sealed ballots: the meeting's ballot key and the box of sealed ballots (R14.6, P7)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ballot_keys",
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("wrapped_private_key", sa.LargeBinary(), nullable=True),
        sa.Column("key_id", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_ballot_keys_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("meeting_id", name=op.f("pk_ballot_keys")),
    )
    op.create_table(
        "sealed_ballots",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("meeting_id", sa.String(length=40), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["meetings.id"], name=op.f("fk_sealed_ballots_meeting_id_meetings")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sealed_ballots")),
    )
    op.create_index(op.f("ix_sealed_ballots_meeting_id"), "sealed_ballots", ["meeting_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_sealed_ballots_meeting_id"), table_name="sealed_ballots")
    op.drop_table("sealed_ballots")
    op.drop_table("ballot_keys")
