"""Upgrading a store analysed before migration 0003 keeps its stories usable: profiles are backfilled."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import select, text

from monitor.store.db import _alembic_config, create_db_engine
from monitor.store.models import Entity, Story, StoryKey

AT = datetime(2024, 10, 18)


def _article(aid: str, relevant: bool, duplicate_of: str | None = None, seed: bool = False) -> dict:
    return {
        "id": aid,
        "url": f"https://x.example/{aid}",
        "title": aid,
        "text": "t",
        "summary": "",
        "source": "s",
        "lang": "en",
        "published_at": AT,
        "first_seen_at": AT,
        "content_hash": aid,
        "is_baseline": seed,
        "extraction": "page",
        "relevant": relevant,
        "duplicate_of": duplicate_of,
        "analyzed_at": AT,
    }


def test_an_earlier_store_gets_story_profiles_and_key_frequencies(database_url: str) -> None:
    engine = create_db_engine(database_url)
    command.upgrade(_alembic_config(engine), "0001")
    columns = ", ".join(_article("x", True))
    values = ", ".join(f":{c}" for c in _article("x", True))
    with engine.begin() as conn:
        conn.execute(
            text(f"INSERT INTO articles ({columns}) VALUES ({values})"),
            [
                _article("seed", True, seed=True),
                _article("a", True),
                _article("copy", True, "a"),
                _article("off", False),
            ],
        )
        conn.execute(
            text(
                "INSERT INTO stories (id, title, first_published_at, last_published_at, created_at, "
                "updated_at) VALUES ('s1', 't', :at, :at, :at, :at)"
            ),
            {"at": AT},
        )
        conn.execute(
            text(
                "INSERT INTO story_articles (article_id, story_id, similarity, joined_at) "
                "VALUES (:a, 's1', 1, :at)"
            ),
            [{"a": a, "at": AT} for a in ("seed", "a", "copy")],
        )
        conn.execute(
            text(
                "INSERT INTO entities (key, name, kind, in_gazetteer, first_seen_at) "
                "VALUES (:k, :k, 'person', :g, :at)"
            ),
            [{"k": k, "g": True, "at": AT} for k in ("nis", "fig:12000")],
        )
        conn.execute(
            text("INSERT INTO article_entities (article_id, entity_key, mentions) VALUES (:a, :k, 1)"),
            [
                {"a": "seed", "k": "nis"},
                {"a": "a", "k": "nis"},
                {"a": "a", "k": "fig:12000"},
                {"a": "copy", "k": "fig:12000"},
            ],
        )
    command.upgrade(_alembic_config(engine), "heads")
    with engine.connect() as conn:
        story = conn.execute(select(Story.members, Story.has_seed).where(Story.id == "s1")).one()
        keys = dict(conn.execute(select(StoryKey.entity_key, StoryKey.articles)).all())
        df = dict(conn.execute(select(Entity.key, Entity.df)).all())
    engine.dispose()
    assert (story.members, bool(story.has_seed)) == (2, True)  # the copy is not an original member
    assert keys == {"nis": 2, "fig:12000": 1}
    assert df == {"nis": 2, "fig:12000": 1}
