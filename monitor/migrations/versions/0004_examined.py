"""understanding: when each story was last judged for a merge (stories.examined_n) and how each member
joined its story (story_articles.joined_by)

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
    op.add_column("story_articles", sa.Column("joined_by", sa.String(length=12), nullable=True))


def downgrade() -> None:
    op.drop_column("story_articles", "joined_by")
    op.drop_column("stories", "examined_n")
