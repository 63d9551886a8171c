"""newsarchive.toml: valid files parse; every invalid one names the key at fault."""

from __future__ import annotations

import pytest

from flows.config import ConfigError, load_config, parse_config

GOOD = """
data_dir = "news-data"
batch_size = 150
user_agent = "newsarchive-test (ops@example.org)"

[hosts]
"web.archive.org" = 0.4
"news.example.com" = { rate = 2 }

[[sources]]
name = "gazette-cdx"
kind = "cdx"
pattern = "harbour-gazette.co.uk/news/*"
from = "20190101"
to = "20191231235959"
capture_policy = "last"
schedule = "0 3 * * *"

[[sources]]
name = "crawl"
kind = "warc"
paths = ["crawls/a.warc.gz", "/abs/b.warc.gz"]
"""


def test_a_complete_file_parses(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_DATA_DIR", raising=False)
    path = tmp_path / "newsarchive.toml"
    path.write_text(GOOD)
    config = load_config(path)
    assert config.data_dir == "news-data"
    assert config.batch_size == 150
    assert config.host_rates == {"web.archive.org": 0.4, "news.example.com": 2.0}
    cdx = config.source("gazette-cdx")
    assert (cdx.kind, cdx.target, cdx.date_from, cdx.date_to, cdx.capture_policy, cdx.schedule) == (
        "cdx",
        ("harbour-gazette.co.uk/news/*",),
        "20190101",
        "20191231235959",
        "last",
        "0 3 * * *",
    )
    # relative paths are relative to the config file, absolute ones stay
    assert config.source("crawl").target == (str(tmp_path / "crawls/a.warc.gz"), "/abs/b.warc.gz")


def test_environment_overrides_paths_and_user_agent(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_DATA_DIR", "/srv/news")
    monkeypatch.setenv("NEWSARCHIVE_USER_AGENT", "from-env")
    config = parse_config({"data_dir": "ignored", "user_agent": "ignored"}, base_dir=tmp_path)
    assert (config.data_dir, config.user_agent) == ("/srv/news", "from-env")


def test_parquet_uri_from_the_file_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_PARQUET_URI", raising=False)
    assert parse_config({}, base_dir=tmp_path).parquet_uri is None
    assert parse_config({"parquet_uri": "s3://news/harbour"}, base_dir=tmp_path).parquet_uri == "s3://news/harbour"
    monkeypatch.setenv("NEWSARCHIVE_PARQUET_URI", "s3://other/prefix")
    assert parse_config({"parquet_uri": "s3://news/harbour"}, base_dir=tmp_path).parquet_uri == "s3://other/prefix"


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"batchsize": 3}, "unknown key(s) batchsize"),  # typo in a top-level key
        ({"batch_size": "200"}, "batch_size: expected int"),  # wrong type
        ({"batch_size": 0}, "batch_size: must be between"),
        ({"hosts": {"web.archive.org": -1}}, "hosts.'web.archive.org'"),  # non-positive rate
        ({"sources": [{"name": "Bad Name", "kind": "cdx", "pattern": "x"}]}, "sources[0].name"),
        ({"sources": [{"name": "a", "kind": "ftp"}]}, "sources.a.kind: must be one of"),
        ({"sources": [{"name": "a", "kind": "cdx"}]}, "sources.a.pattern: required"),  # missing target
        ({"sources": [{"name": "a", "kind": "sitemap", "url": 5}]}, "sources.a.url: expected str"),
        ({"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "from": "2019-01-01"}]}, "sources.a.from"),
        (
            {"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "capture_policy": "best"}]},
            "sources.a.capture_policy",
        ),
        ({"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "schedule": "every night"}]}, "sources.a.schedule"),
        ({"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "schedule": "61 3 * * *"}]}, "sources.a.schedule"),
        (
            {"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "archive": "web.archive.org"}]},
            "sources.a.archive",
        ),
        (
            {"sources": [{"name": "a", "kind": "cdx", "pattern": "x", "colapse": "digest"}]},
            "sources[0]: unknown key(s) colapse",
        ),
        ({"sources": [{"name": "a", "kind": "sample"}, {"name": "a", "kind": "sample"}]}, "duplicate name(s) a"),
        ({"parquet_uri": "gs://bucket/news"}, "parquet_uri: unsupported storage URI"),
        ({"parquet_uri": 7}, "parquet_uri: expected str"),
    ],
)
def test_invalid_configuration_names_the_key(raw, message, tmp_path, monkeypatch):
    monkeypatch.delenv("NEWSARCHIVE_DATA_DIR", raising=False)
    monkeypatch.delenv("NEWSARCHIVE_PARQUET_URI", raising=False)
    with pytest.raises(ConfigError) as error:
        parse_config(raw, base_dir=tmp_path)
    assert message in str(error.value)


def test_missing_and_malformed_files(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[sources]\nname = ")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_from_and_to_follow_the_same_rule_as_the_command_line(tmp_path):
    # one rule for `--from`/`--to` and `from`/`to`: any prefix of YYYYMMDDhhmmss from the year on
    source = {"name": "a", "kind": "cdx", "pattern": "x", "from": "2020", "to": "202012"}
    config = parse_config({"sources": [source]}, base_dir=tmp_path)
    assert (config.source("a").date_from, config.source("a").date_to) == ("2020", "202012")
    with pytest.raises(ConfigError, match="sources.a.to"):
        parse_config({"sources": [{**source, "to": "20201399"}]}, base_dir=tmp_path)  # not a real date


def test_unknown_source_name_lists_the_known_ones(tmp_path):
    config = parse_config({"sources": [{"name": "a", "kind": "sample"}]}, base_dir=tmp_path)
    with pytest.raises(ConfigError, match="known: a"):
        config.source("b")
