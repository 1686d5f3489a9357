"""feeds.lease_until: a fetch worker's claim on a feed (several workers on one PostgreSQL)

Revision ID: 0002_fetch
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_fetch"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feeds") as batch:
        batch.drop_column("lease_until")
