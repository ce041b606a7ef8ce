"""the run-off ballot (决选投票, Art. 14(4), R14.6): a meeting's kind, award and seats; the
committee's decisions to leave open seats vacant (宁缺毋滥)

Revision ID: 0011_runoff
Revises: 0010 (0010_legal_bars_calendar.py)
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0011_runoff"
down_revision = "0010"  # the revision id of 0010_legal_bars_calendar.py
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "meetings", sa.Column("kind", sa.String(length=20), server_default="PLENARY", nullable=False)
    )
    op.add_column("meetings", sa.Column("award", sa.String(length=20), nullable=True))
    op.add_column("meetings", sa.Column("seats", sa.Integer(), nullable=True))
    op.create_table(
        "seat_vacancies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_year", sa.Integer(), nullable=False),
        sa.Column("award", sa.String(length=20), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("application_ids", JSON, nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_seat_vacancies")),
        sa.UniqueConstraint("cycle_year", "award", "source", name="uq_seat_vacancies_seats"),
    )
    op.create_index(op.f("ix_seat_vacancies_cycle_year"), "seat_vacancies", ["cycle_year"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_seat_vacancies_cycle_year"), table_name="seat_vacancies")
    op.drop_table("seat_vacancies")
    op.drop_column("meetings", "seats")
    op.drop_column("meetings", "award")
    op.drop_column("meetings", "kind")
