"""The fleet's model pointer: the model every service worker should serve, with a generation
that a reload advances and every worker watches.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "model_pointer",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(128), nullable=True),
        sa.Column("configured", sa.String(1024), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("model_pointer")
