"""Prefect flows and the outside world: archived pages in, Parquet and DuckDB out.

One run, `ingest(options: RunOptions)`, goes through these steps (flows/ingest.py):

    discover   acquire/ (URL lists, CDX, sitemaps, WARC/ARC files)   → CaptureRef | Capture
    fetch      acquire/ (rate-limited HTTP, raw WARC archive), in tasks.py  → Capture
    extract    extraction.py over transforms/, in tasks.py           → Article | Rejection rows
    write      writer.py (RunWriter: dedupe, Parquet via warehouse/) → parquet/articles, captures
    load       ingest.load_warehouse → warehouse/ (DuckDB, search index)
    record     summary.py (RunSummary, the runs row, the Prefect artifact); artifacts.py (the report's charts)

    options.py    RunOptions, the run's one parameter, and build_run_options (CLI, config, deployments)
    stopping.py   Ctrl-C/SIGTERM: stop submitting, finish the captures in hand, record `interrupted`
    progress.py   RunProgress, published as batches are written (the CLI's progress display)
    quickcheck.py whether a WARC/sample run has anything to do, before any Prefect server starts
    datalock.py   one writer per data directory (run, reprocess, load, compact hold its lock)
    keptserver.py the local Prefect server process (kept with an idle timeout, or a run's own)
    dryrun.py     `run --dry-run`: discovery and the ledger only, what a run would do
    config.py     newsarchive.toml
    schedules.py  deployments of configured sources (serve, deploy, prefect.yaml)
    cli/          the `newsarchive` command, one module per command group
"""
