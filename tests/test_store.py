import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from monitor.cli import main
from monitor.core import Monitor
from monitor.errors import StorageError
from monitor.store import Database
from monitor.store.models import Base


def test_migrations_match_the_models(database_url: str) -> None:
    db = Database(database_url)
    db.upgrade()
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    db.upgrade()  # idempotent
    assert db.is_current()
    db.dispose()


def test_sqlite_uses_wal(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'w.db'}")
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    db.dispose()


def test_a_failed_transaction_leaves_nothing(monitor: Monitor) -> None:
    from monitor.store.articles import count_articles, save_article
    from monitor.types import NewArticle

    with pytest.raises(RuntimeError), monitor.db.session() as session:
        save_article(session, NewArticle(id="a-1", title="t", text="x", url="https://e.org/1"))
        raise RuntimeError("killed half-way")
    with monitor.db.session(read_only=True) as session:
        assert count_articles(session) == 0


def test_unreachable_database_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[database]\nurl = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n')
    code = main(["--config", str(config), "status"])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("monitor: error: cannot reach database") and err.count("\n") == 1
    assert "127.0.0.1:1" in err


def test_unwritable_sqlite_location_is_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="cannot create the folder"):
        Database(f"sqlite:///{blocker / 'sub' / 'm.db'}")


def test_console_script_version_and_help() -> None:
    out = subprocess.run([sys.executable, "-m", "monitor", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and "monitor, version" in out.stdout
