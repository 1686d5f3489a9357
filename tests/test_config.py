from pathlib import Path

import pytest

from monitor.cli import main
from monitor.config import load_config, parse_config
from monitor.errors import ConfigError


def test_defaults_work_without_any_file(tmp_path: Path) -> None:
    config = load_config()
    assert config.source is None
    assert config.database.resolved_url().endswith("monitor.db")
    assert str(tmp_path / "data") in config.database.resolved_url()
    assert config.smtp.security == "starttls"


def test_lookup_order_env_then_local_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "monitor.toml").write_text('[digest]\nlocale = "fr"\n')
    assert load_config().digest.locale == "fr"
    other = tmp_path / "other.toml"
    other.write_text('[digest]\ntimezone = "Europe/Paris"\n')
    monkeypatch.setenv("MONITOR_CONFIG", str(other))
    assert load_config().digest.timezone == "Europe/Paris"
    explicit = tmp_path / "explicit.toml"
    explicit.write_text('[digest]\nweekday = "friday"\n')
    assert load_config(explicit).digest.weekday == "friday"


def test_feeds_and_smtp_keys(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[feeds]]\nurl = "https://example.org/rss"\nname = "Ex"\nlang = "fr"\ntags = ["a"]\n'
        '[smtp]\nhost = "mail.example.org"\nport = 465\nsecurity = "tls"\nusername = "u"\n'
        'password_env = "MY_PW"\nfrom = "Monitor <m@example.org>"\n')
    config = load_config(path)
    assert config.feeds[0].url == "https://example.org/rss" and config.feeds[0].tags == ("a",)
    assert config.smtp.from_ == "Monitor <m@example.org>" and config.smtp.port == 465


@pytest.mark.parametrize(("toml", "needle"), [
    ("[database]\nurel = 'x'\n", "unknown key 'urel'"),
    ("[fetch]\nallow_private_addresses = 'yes'\n", "fetch.allow_private_addresses: expected true or false"),
    ("[smtp]\nsecurity = 'ssl'\n", "smtp.security"),
    ("[digest]\nweekday = 'someday'\n", "digest.weekday"),
    ("[digest]\ntimezone = 'Mars/Olympus'\n", "digest.timezone"),
    ("[digest]\ntime = '25:00'\n", "digest.time"),
    ("[smtp]\nport = 'twenty-five'\n", "smtp.port: expected an integer"),
    ("[[feeds]]\nurl = 'ftp://example.org/x'\n", "feeds[0].url"),
    ("[[feeds]]\nname = 'no url'\n", "feeds[0]"),
    ("[digest\n", "invalid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path: Path, toml: str, needle: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(path) in str(info.value)
    assert needle in str(info.value)


def test_bad_config_is_one_line_error_and_nonzero_exit(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[smtp]\nsecurity = 'ssl'\n")
    code = main(["--config", str(path), "status"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and str(path) in err and "smtp.security" in err


def test_missing_config_file_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    code = main(["--config", str(tmp_path / "nope.toml"), "status"])
    assert code == 2
    assert "nope.toml: configuration file not found" in capsys.readouterr().err


def test_parse_config_rejects_unknown_table() -> None:
    with pytest.raises(ConfigError, match="unknown key 'smpt'"):
        parse_config({"smpt": {}}, "x.toml")


def test_example_config_is_valid_and_documents_every_key() -> None:
    import dataclasses

    from monitor.config import Config

    example = Path(__file__).resolve().parent.parent / "deploy" / "monitor.example.toml"
    config = load_config(example)
    assert config.feeds, "the example lists real feeds"
    text = example.read_text()
    for table in dataclasses.fields(Config):
        if table.name in ("source", "feeds"):
            continue
        for key in dataclasses.fields(table.default_factory()):  # type: ignore[misc]
            name = key.name.rstrip("_")
            assert f"{name} =" in text, f"[{table.name}] {name} is not documented in the example"


def test_toml_writer_round_trips_what_tests_and_benchmarks_write() -> None:
    import tomllib

    from monitor.testing import toml_dumps

    data = {"feeds": [], "database": {"url": "sqlite:///x.db"}, "fetch": {"allow_private_addresses": True},
            "more": [{"url": "http://127.0.0.1/f", "tags": ["a", "b"]}]}
    assert tomllib.loads(toml_dumps(data)) == data
