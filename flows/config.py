"""`newsarchive.toml`: the sources a deployment ingests, their schedules and host limits.

Flags on the command line override the file; secrets and paths may come from the
environment (`NEWSARCHIVE_DATA_DIR`, `NEWSARCHIVE_USER_AGENT`). Every error names the key.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from flows.acquire.archive import check_timestamp
from warehouse import storage

SOURCE_KINDS = ("sample", "warc", "urls", "cdx", "sitemap")
CAPTURE_POLICIES = ("first", "last", "all")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


class ConfigError(ValueError):
    """The configuration cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class SourceConfig:
    """One configured source: what to ingest and when."""

    name: str
    kind: str
    target: tuple[str, ...] = ()  # WARC paths, the URL-list file, the CDX pattern or the sitemap URL
    archive: str | None = None
    date_from: str | None = None  # YYYY[MM[DD[hh[mm[ss]]]]] (flows/acquire/archive.py)
    date_to: str | None = None
    capture_policy: str = "first"
    schedule: str | None = None  # cron line
    incremental: bool = True  # scheduled CDX runs start after the last capture ingested


@dataclass(frozen=True, slots=True)
class Config:
    data_dir: str = "data"
    parquet_uri: str | None = None  # where the Parquet dataset lives, if not <data_dir>/parquet
    batch_size: int | None = None  # None: the flow's default for the source kind
    user_agent: str | None = None
    host_rates: dict[str, float] = field(default_factory=dict)  # requests per second per host
    allow_private_hosts: bool = False  # fetch from private addresses too (flows/acquire/addresses.py)
    sources: tuple[SourceConfig, ...] = ()

    def source(self, name: str) -> SourceConfig:
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none"
        raise ConfigError(f"no source named {name!r} in the configuration (known: {known})")


_TOP_KEYS = {"data_dir", "parquet_uri", "batch_size", "user_agent", "hosts", "sources", "allow_private_hosts"}
_SOURCE_KEYS = {
    "name",
    "kind",
    "paths",
    "file",
    "pattern",
    "url",
    "archive",
    "from",
    "to",
    "capture_policy",
    "schedule",
    "incremental",
}
_TARGET_KEY = {"warc": "paths", "urls": "file", "cdx": "pattern", "sitemap": "url"}


def load_config(path: str | Path | None) -> Config:
    """Read and validate a config file (None: defaults and environment only)."""
    raw: dict = {}
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise ConfigError(f"{path}: not valid TOML: {error}") from error
    return parse_config(raw, base_dir=path.parent if path else Path.cwd())


def _expect(value, kind, key: str):
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{key}: expected {names}, got {type(value).__name__} {value!r}")
    return value


def parse_config(raw: dict, *, base_dir: Path) -> Config:
    unknown = set(raw) - _TOP_KEYS
    if unknown:
        raise ConfigError(f"unknown key(s) {', '.join(sorted(unknown))} (allowed: {', '.join(sorted(_TOP_KEYS))})")
    data_dir = os.environ.get("NEWSARCHIVE_DATA_DIR") or _expect(raw.get("data_dir", "data"), str, "data_dir")
    parquet_uri = os.environ.get("NEWSARCHIVE_PARQUET_URI") or raw.get("parquet_uri")
    if parquet_uri is not None:
        try:
            storage.check_location(_expect(parquet_uri, str, "parquet_uri"))
        except storage.StorageError as error:
            raise ConfigError(f"parquet_uri: {error}") from error
    batch_size = raw.get("batch_size")
    if batch_size is not None and not 1 <= _expect(batch_size, int, "batch_size") <= 100_000:
        raise ConfigError(f"batch_size: must be between 1 and 100000, got {batch_size}")
    user_agent = os.environ.get("NEWSARCHIVE_USER_AGENT") or raw.get("user_agent")
    if user_agent is not None:
        _expect(user_agent, str, "user_agent")
    host_rates: dict[str, float] = {}
    for host, rate in _expect(raw.get("hosts", {}), dict, "hosts").items():
        key = f"hosts.{host!r}"
        if isinstance(rate, dict):
            rate = rate.get("rate")
            key += ".rate"
        rate = _expect(rate, (int, float), key)
        if rate <= 0:
            raise ConfigError(f"{key}: requests per second must be positive, got {rate}")
        host_rates[host] = float(rate)
    sources = []
    for index, entry in enumerate(_expect(raw.get("sources", []), list, "sources")):
        sources.append(_parse_source(_expect(entry, dict, f"sources[{index}]"), index, base_dir))
    names = [s.name for s in sources]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise ConfigError(f"sources: duplicate name(s) {', '.join(sorted(duplicated))}")
    return Config(
        data_dir=data_dir,
        parquet_uri=parquet_uri,
        batch_size=batch_size,
        user_agent=user_agent,
        host_rates=host_rates,
        allow_private_hosts=_expect(raw.get("allow_private_hosts", False), bool, "allow_private_hosts"),
        sources=tuple(sources),
    )


def _parse_source(entry: dict, index: int, base_dir: Path) -> SourceConfig:
    where = f"sources[{index}]"
    unknown = set(entry) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    name = _expect(entry.get("name", ""), str, f"{where}.name")
    if not _NAME.match(name):
        raise ConfigError(f"{where}.name: must be lower-case letters, digits, '-' or '_', got {name!r}")
    where = f"sources.{name}"
    kind = _expect(entry.get("kind", ""), str, f"{where}.kind")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}.kind: must be one of {', '.join(SOURCE_KINDS)}, got {kind!r}")
    target: tuple[str, ...] = ()
    if kind in _TARGET_KEY:
        key = _TARGET_KEY[kind]
        if key not in entry:
            raise ConfigError(f"{where}.{key}: required for kind {kind!r}")
        value = entry[key]
        values = value if isinstance(value, list) else [value]
        for item in values:
            _expect(item, str, f"{where}.{key}")
        if kind in ("warc", "urls"):
            values = [v if "://" in v or os.path.isabs(v) else str(base_dir / v) for v in values]
        target = tuple(values)
    for key in ("from", "to"):
        try:
            check_timestamp(entry.get(key), f"{where}.{key}")
        except ValueError as error:
            raise ConfigError(str(error)) from error
    policy = entry.get("capture_policy", "first")
    if policy not in CAPTURE_POLICIES:
        raise ConfigError(f"{where}.capture_policy: must be one of {', '.join(CAPTURE_POLICIES)}, got {policy!r}")
    schedule = entry.get("schedule")
    if schedule is not None:
        _expect(schedule, str, f"{where}.schedule")
        if not _valid_cron(schedule):
            raise ConfigError(f"{where}.schedule: not a cron line (5 fields, e.g. '0 3 * * *'): {schedule!r}")
    archive = entry.get("archive")
    if archive is not None and not str(archive).startswith(("http://", "https://")):
        raise ConfigError(f"{where}.archive: must be an http(s) URL prefix, got {archive!r}")
    return SourceConfig(
        name=name,
        kind=kind,
        target=target,
        archive=archive,
        date_from=check_timestamp(entry.get("from"), "from"),
        date_to=check_timestamp(entry.get("to"), "to"),
        capture_policy=policy,
        schedule=schedule,
        incremental=bool(_expect(entry.get("incremental", True), bool, f"{where}.incremental")),
    )


def _valid_cron(line: str) -> bool:
    """Validated the way Prefect will read it when the deployment is registered."""
    from prefect.client.schemas.schedules import CronSchedule

    if len(line.split()) != 5:
        return False
    try:
        CronSchedule(cron=line)
    except ValueError:
        return False
    return True
