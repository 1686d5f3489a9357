"""understanding: when each story was last judged for a merge (stories.examined_n)

Revision ID: 0004_examined
Revises: 0003_understand
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_examined"
down_revision = "0003_understand"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy (see 0003): NULL reads "never judged", so a store upgraded
    # judges its recent stories again once, with the weights of then.
    op.add_column("stories", sa.Column("examined_n", sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column("stories", "examined_n")
