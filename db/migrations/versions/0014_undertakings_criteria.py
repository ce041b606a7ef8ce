"""expert undertakings (Art. 20): the versioned text of each cycle's undertaking, the experts'
signatures, and the breach a discipline record names

Revision ID: 0014_undertakings_criteria
Revises: 0010
Create Date: 2026-11-30 15:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_undertakings_criteria"
down_revision = "0013_major_decisions_media"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "undertaking_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_by", sa.String(length=100), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undertaking_texts")),
        sa.UniqueConstraint("cycle_year", "version", name="uq_undertaking_texts_version"),
    )
    op.create_table(
        "undertaking_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("expert_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("text_sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_by", sa.String(length=100), nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["expert_id"], ["experts.id"], name=op.f("fk_undertaking_signatures_expert_id_experts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_undertaking_signatures")),
        sa.UniqueConstraint("cycle_year", "expert_id", "version", name="uq_undertaking_signatures_once"),
    )
    op.create_index(
        op.f("ix_undertaking_signatures_cycle_year"), "undertaking_signatures", ["cycle_year"], unique=False
    )
    op.create_index(
        op.f("ix_undertaking_signatures_expert_id"), "undertaking_signatures", ["expert_id"], unique=False
    )
    op.add_column("expert_discipline", sa.Column("breach_year", sa.Integer(), nullable=True))
    op.add_column("expert_discipline", sa.Column("breach_clause", sa.String(length=30), nullable=True))


def downgrade() -> None:
    op.drop_column("expert_discipline", "breach_clause")
    op.drop_column("expert_discipline", "breach_year")
    op.drop_index(op.f("ix_undertaking_signatures_expert_id"), table_name="undertaking_signatures")
    op.drop_index(op.f("ix_undertaking_signatures_cycle_year"), table_name="undertaking_signatures")
    op.drop_table("undertaking_signatures")
    op.drop_table("undertaking_texts")
