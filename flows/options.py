"""What one ingestion run is asked to do: `RunOptions`, the `ingest` flow's one parameter.

Built by one function, `build_run_options`, from the command line, from a newsarchive.toml
source and for deployments (`serve`, `deploy`, prefect.yaml), so the three cannot drift.
Prefect validates the model when a run starts and draws a form from it in its UI.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from flows.acquire.archive import WAYBACK_PREFIX, check_timestamp

if TYPE_CHECKING:
    from flows.config import Config, SourceConfig
    from warehouse.layout import DataLayout

# Captures per task: fetching batches are I/O-bound and stay small; a batch of captures already
# on disk is pure CPU, and bigger batches halve Prefect's per-task cost (bench/README.md).
DEFAULT_FETCH_BATCH_SIZE = 200
DEFAULT_WARC_BATCH_SIZE = 800
# Results of captures read from disk are written every WRITE_EVERY captures; fetched ones after
# every batch, so a killed run never fetches a capture twice. Loads into DuckDB happen every
# LOAD_EVERY new articles, so a load's memory follows LOAD_EVERY, not the input.
WRITE_EVERY = 2_000
LOAD_EVERY = 4_000

SourceKind = Literal["sample", "warc", "fetch"]
CapturePolicy = Literal["first", "last", "all"]


class _Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Inputs(_Part):
    """What to ingest. No WARC file and nothing to fetch: the bundled sample archive."""

    warc_paths: list[str] = Field(default_factory=list, description="WARC/ARC files to read (no fetching).")
    url_files: list[str] = Field(default_factory=list, description="Files of URLs to fetch, one per line.")
    cdx_patterns: list[str] = Field(default_factory=list, description="URL patterns for the archive's CDX API.")
    sitemaps: list[str] = Field(default_factory=list, description="(News) sitemap or sitemap index URLs.")
    archive: str = Field(default=WAYBACK_PREFIX, description="Archive prefix for the CDX patterns (Wayback or pywb).")
    date_from: str | None = Field(
        default=None, description="CDX: captures from this time on, YYYY[MM[DD[hh[mm[ss]]]]]."
    )
    date_to: str | None = Field(default=None, description="CDX: captures up to this time.")
    capture_policy: CapturePolicy = Field(default="first", description="CDX: which good capture of each URL to take.")
    source_name: str | None = Field(default=None, description="The configured source this run ingests (runs table).")
    incremental: bool = Field(default=False, description="With source_name: continue after its latest capture.")

    @field_validator("date_from", "date_to")
    @classmethod
    def _timestamp(cls, value: str | None, info: ValidationInfo) -> str | None:
        return check_timestamp(value, "--from" if info.field_name == "date_from" else "--to")

    @field_validator("archive")
    @classmethod
    def _archive_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"bad --archive {value!r}: expected an http(s) URL prefix")
        return value.strip().rstrip("/")

    @model_validator(mode="after")
    def _one_kind(self) -> Inputs:
        if self.warc_paths and (self.url_files or self.cdx_patterns or self.sitemaps):
            raise ValueError("--warc reads captures from disk; run it separately from --urls/--cdx/--sitemap")
        return self

    def discovery_arguments(self) -> dict[str, Any]:
        """The keywords of `flows.acquire.discovery.discover` (the fetcher aside) for these inputs."""
        return {
            "urls": self.url_files,
            "cdx": self.cdx_patterns,
            "archive": self.archive,
            "from_": self.date_from,
            "to": self.date_to,
            "capture_policy": self.capture_policy,
            "sitemaps": self.sitemaps,
        }

    @property
    def kind(self) -> SourceKind:
        """`warc` (files on disk), `fetch` (URL lists, CDX, sitemaps) or `sample`."""
        if self.warc_paths:
            return "warc"
        if self.url_files or self.cdx_patterns or self.sitemaps:
            return "fetch"
        return "sample"


class FetchOptions(_Part):
    """Politeness and concurrency of fetching."""

    user_agent: str | None = Field(default=None, description="User-Agent (default names the project).")
    host_rates: dict[str, float] = Field(default_factory=dict, description="Requests/s per host (config file).")
    rates: list[str] = Field(default_factory=list, description="`--rate` values: N, HOST=N or HOST#cdx=N.")
    fetch_workers: int = Field(default=8, ge=1, le=256, description="Concurrent requests per batch.")
    allow_private_hosts: bool = Field(
        default=False,
        description="Fetch from loopback, private, link-local and other non-public addresses too "
        "(the archive prefix is always allowed).",
    )

    @field_validator("host_rates")
    @classmethod
    def _positive(cls, value: dict[str, float]) -> dict[str, float]:
        for host, rate in value.items():
            if rate <= 0:
                raise ValueError(f"bad rate for {host!r}: requests per second must be positive, got {rate}")
        return value

    @field_validator("rates")
    @classmethod
    def _parsable(cls, value: list[str]) -> list[str]:
        from flows.acquire.limits import parse_rates

        parse_rates(value)  # ValueError naming the bad value
        return value

    def all_rates(self) -> tuple[str, ...]:
        """Config-file limits first, then `--rate` values (later ones win)."""
        return tuple(f"{host}={rate}" for host, rate in self.host_rates.items()) + tuple(self.rates)


class Tuning(_Part):
    """Sizes that trade memory and task overhead for throughput; None: the default for the source kind."""

    batch_size: int | None = Field(default=None, ge=1, le=100_000, description="Captures per Prefect task.")
    processes: int | None = Field(
        default=None, ge=1, le=64, description="Extraction processes (default: one per core)."
    )
    max_in_flight: int = Field(default=4, ge=1, le=1_000, description="Batches submitted and not yet written.")
    write_every: int | None = Field(default=None, ge=1, description="Captures buffered before a Parquet write.")
    load_every: int = Field(default=LOAD_EVERY, ge=1, description="New articles written between DuckDB loads.")


class RunOptions(_Part):
    """Everything one `ingest` run needs; the flow's parameter."""

    inputs: Inputs = Field(default_factory=Inputs)
    fetch: FetchOptions = Field(default_factory=FetchOptions)
    tuning: Tuning = Field(default_factory=Tuning)
    data_dir: str = Field(
        default="data", description="DuckDB warehouse, raw WARCs and (by default) the Parquet dataset."
    )
    parquet_uri: str | None = Field(
        default=None, description="The Parquet dataset elsewhere: a path or s3://BUCKET/PREFIX."
    )
    refresh: bool = Field(default=False, description="Process captures again even if the ledger says they are done.")
    load: bool = Field(default=True, description="Load the DuckDB warehouse (False: write Parquet only).")
    replace: bool = Field(
        default=False, description="Write articles whose id is already in the dataset (reprocessing)."
    )

    @classmethod
    def build(cls, **values: Any) -> RunOptions:
        """From flat keywords, each the name of a field here or in one of the parts:
        `RunOptions.build(data_dir="d", cdx_patterns=["x/*"], batch_size=50)`."""
        nested: dict[str, Any] = {}
        for name, value in values.items():
            part = _PART_OF.get(name)
            if part is None and name not in cls.model_fields:
                raise TypeError(f"RunOptions has no option {name!r}")
            if part is None:
                nested[name] = value
            else:
                nested.setdefault(part, {})[name] = value
        return cls.model_validate(nested)

    def layout(self) -> DataLayout:
        from warehouse.layout import DataLayout

        return DataLayout(Path(self.data_dir), self.parquet_uri)

    def batch_size(self) -> int:
        if self.tuning.batch_size is not None:
            return self.tuning.batch_size
        return DEFAULT_FETCH_BATCH_SIZE if self.inputs.kind == "fetch" else DEFAULT_WARC_BATCH_SIZE

    def write_every(self) -> int:
        if self.tuning.write_every is not None:
            return self.tuning.write_every
        return 1 if self.inputs.kind == "fetch" else WRITE_EVERY

    def describe(self) -> str:
        """What `run` says it ingests."""
        inputs = self.inputs
        if inputs.source_name:
            return f"source {inputs.source_name!r}"
        if inputs.kind == "sample":
            return "the bundled sample archive"
        if inputs.kind == "warc":
            return ", ".join(inputs.warc_paths)
        return ", ".join([*inputs.url_files, *(f"CDX {p}" for p in inputs.cdx_patterns), *inputs.sitemaps])


class LoadOptions(_Part):
    """What the `load-warehouse` flow loads, and how much of the machine it may take."""

    data_dir: str = Field(
        default="data", description="DuckDB warehouse, raw WARCs and (by default) the Parquet dataset."
    )
    parquet_uri: str | None = Field(
        default=None, description="The Parquet dataset elsewhere: a path or s3://BUCKET/PREFIX."
    )
    rebuild_index: bool = Field(default=False, description="Rebuild the full-text index from scratch.")
    threads: int | None = Field(default=None, ge=1, description="DuckDB threads (default: one per core).")
    memory_limit: str | None = Field(
        default=None, description="DuckDB memory limit, e.g. '128MB' (default: 80% of the RAM)."
    )

    def layout(self) -> DataLayout:
        from warehouse.layout import DataLayout

        return DataLayout(Path(self.data_dir), self.parquet_uri)


_PART_OF = {
    name: part
    for part, model in (("inputs", Inputs), ("fetch", FetchOptions), ("tuning", Tuning))
    for name in model.model_fields
}

# newsarchive.toml source kinds → the Inputs field their target goes into
_TARGET_FIELD = {"warc": "warc_paths", "urls": "url_files", "cdx": "cdx_patterns", "sitemap": "sitemaps"}


def build_run_options(
    config: Config | None = None, source: SourceConfig | None = None, flags: Mapping[str, Any] | None = None
) -> RunOptions:
    """The options of one run: the configuration's settings, then `source`'s inputs, then
    `flags` (flat option names as in `RunOptions.build`; None values are not given).

    The one place the command line (`run`), a configured source (`run --config --source`)
    and deployments (`serve`, `deploy`) turn into RunOptions.
    """
    values: dict[str, Any] = {}
    if config is not None:
        values.update(
            data_dir=config.data_dir, parquet_uri=config.parquet_uri, host_rates=dict(config.host_rates) or None
        )
        values.update(batch_size=config.batch_size, user_agent=config.user_agent)
        values.update(allow_private_hosts=config.allow_private_hosts or None)
    if source is not None:
        values.update(source_name=source.name, incremental=source.incremental)
        if source.kind in _TARGET_FIELD:
            values[_TARGET_FIELD[source.kind]] = list(source.target)
        if source.kind in ("urls", "cdx", "sitemap"):
            values.update(archive=source.archive or WAYBACK_PREFIX, capture_policy=source.capture_policy)
            values.update(date_from=source.date_from, date_to=source.date_to)
    given = {name: value for name, value in (flags or {}).items() if value is not None}
    if source is not None and set(given) & set(Inputs.model_fields):
        raise ValueError(f"source {source.name!r} names its inputs; do not pass {', '.join(sorted(given))}")
    values.update(given)
    return RunOptions.build(**{name: value for name, value in values.items() if value is not None})


def one_line(error: ValidationError) -> str:
    """A pydantic validation error as one line: our own messages as they are, others with the
    option they concern."""
    lines = []
    for detail in error.errors():
        if detail["type"] == "value_error":
            lines.append(str(detail["ctx"]["error"]))
        else:
            where = ".".join(str(part) for part in detail["loc"])
            lines.append(f"{where}: {detail['msg']}")
    return "; ".join(lines)
