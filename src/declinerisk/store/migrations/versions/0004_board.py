"""The board: action notes (a recruiter marked an offer's action as done) and each score's
what-ifs.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "action_notes",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("offer_id", sa.String(256), nullable=False),
        sa.Column("action", sa.String(1024), nullable=False),
        sa.Column("note", sa.String(1024), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_action_notes_offer_id", "action_notes", ["offer_id"])
    with op.batch_alter_table("score_records") as batch:
        batch.add_column(sa.Column("what_ifs", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("score_records") as batch:
        batch.drop_column("what_ifs")
    op.drop_table("action_notes")
