"""understanding: story profiles (story_keys, stories.members/has_seed), key document frequencies
(entities.df) and per-sentence facts (article_sentences); existing stores are backfilled

Revision ID: 0003_understand
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_understand"
down_revision = "0002_fetch"
branch_labels = None
depends_on = None

#: Relevant original members of a story (what the clusterer counts).
_ORIGINALS = (
    "SELECT sa.story_id, sa.article_id FROM story_articles sa JOIN articles a ON a.id = sa.article_id "
    "WHERE a.duplicate_of IS NULL AND a.relevant"
)


def upgrade() -> None:
    # Plain ADD COLUMN, never a batch copy: on SQLite a batch recreates the table, and dropping the old
    # one cascades (foreign keys are on) into story_articles — every story membership would be lost.
    op.add_column("entities", sa.Column("df", sa.Integer(), server_default="0", nullable=False))
    op.add_column("stories", sa.Column("members", sa.Integer(), server_default="0", nullable=False))
    op.add_column("stories", sa.Column("has_seed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table(
        "story_keys",
        sa.Column("story_id", sa.String(length=64), nullable=False),
        sa.Column("entity_key", sa.String(length=200), nullable=False),
        sa.Column("articles", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("story_id", "entity_key"),
    )
    op.create_table(
        "article_sentences",
        sa.Column("article_id", sa.String(length=120), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("keys", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["article_id"], ["articles.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("article_id", "position"),
    )
    # Backfill from what earlier versions stored (sentences are re-derived by `monitor reprocess`).
    op.execute(
        f"INSERT INTO story_keys (story_id, entity_key, articles) SELECT m.story_id, ae.entity_key, count(*) "
        f"FROM ({_ORIGINALS}) m JOIN article_entities ae ON ae.article_id = m.article_id "
        f"GROUP BY m.story_id, ae.entity_key"
    )
    op.execute(
        f"UPDATE stories SET members = (SELECT count(*) FROM ({_ORIGINALS}) m WHERE m.story_id = stories.id)"
    )
    op.execute(
        "UPDATE stories SET has_seed = EXISTS (SELECT 1 FROM story_articles sa JOIN articles a "
        "ON a.id = sa.article_id WHERE sa.story_id = stories.id AND a.is_baseline)"
    )
    op.execute(
        f"UPDATE entities SET df = (SELECT count(*) FROM ({_ORIGINALS}) m JOIN article_entities ae "
        f"ON ae.article_id = m.article_id WHERE ae.entity_key = entities.key)"
    )


def downgrade() -> None:
    op.drop_table("article_sentences")
    op.drop_table("story_keys")
    # ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35) rather than a batch copy, for the reason above
    op.drop_column("stories", "has_seed")
    op.drop_column("stories", "members")
    op.drop_column("entities", "df")
