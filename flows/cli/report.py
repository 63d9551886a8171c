"""How `run` and `reprocess` end: the summary (text or JSON), the one line of an interrupted
run, and the exit status.

    0    the run completed (rejections are data, not failure)
    1    unusable input (`Error: ...` after the summary: what was readable is kept), or every
         capture failed with an error a later run may overcome (timeouts, 429, 5xx)
    130  stopped by Ctrl-C (143: SIGTERM); what was finished is kept and the next run resumes
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from typing import TYPE_CHECKING

import click

from flows import stopping

if TYPE_CHECKING:
    from flows.dryrun import Plan
    from flows.summary import RunSummary

OUTPUT_FORMATS = ("text", "json")


def wall_seconds() -> float:
    """Seconds since this process started: what the user waited, imports and server start included.

    On Linux, the process's start in clock ticks since boot against /proc/uptime (one clock,
    10 ms steps): psutil's create_time adds the boot time, which /proc/stat gives in whole
    seconds, so the duration came out up to a second too long."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat, open("/proc/uptime", encoding="ascii") as uptime:
            start_ticks = int(stat.read().rsplit(")", 1)[1].split()[19])  # field 22, starttime
            return max(0.0, float(uptime.read().split()[0]) - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())


def announce_stop(signum: int) -> None:
    """The first half of the one line a stopped run prints (`finish` ends it)."""
    name = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name
    sys.stderr.write(f"\n{name}: stopping after the captures in hand ...")
    sys.stderr.flush()


def finish(summary: RunSummary, output_format: str, *, wall_s: float) -> None:
    """Print the summary and leave with the exit status the run deserves."""
    if summary.status == "interrupted":
        click.echo(
            f" {summary.capture_count} captures written ({summary.article_count} new articles);"
            " run the same command again to continue.",
            err=True,
        )
        if output_format == "json":
            click.echo(json.dumps({**summary.as_json(), "wall_s": round(wall_s, 3)}))
        signum = stopping.stop_signal() or signal.SIGINT
        sys.exit(stopping.EXIT_STATUS.get(signal.Signals(signum), 128 + signum))
    if stopping.requested():  # the signal came after the last capture: the run is complete
        click.echo(" the run had finished.", err=True)
    if output_format == "json":
        click.echo(json.dumps({**summary.as_json(), "wall_s": round(wall_s, 3)}, indent=2))
    elif summary.capture_count or summary.skipped_count or not summary.errors:
        print_summary(summary, wall_s=wall_s)
    if summary.errors:
        # What was readable is kept; the unusable input is reported and the exit status says so.
        raise click.ClickException("\nError: ".join(summary.errors))  # one `Error:` line per unusable input
    if summary.all_failed_transiently:
        reasons = ", ".join(f"{reason} {count}" for reason, count in sorted(summary.rejections.items()))
        raise click.ClickException(
            f"every capture failed with an error worth another try ({reasons}); run again later to retry them"
        )


def nothing_new(done_count: int, article_count: int, output_format: str, *, wall_s: float) -> None:
    """What a run whose input the ledger has all done prints (it starts no flow, records no run)."""
    if output_format == "json":
        values = {"status": "completed", "capture_count": 0, "skipped_count": done_count}
        values.update(total_article_count=article_count, run_id=None, wall_s=round(wall_s, 3))
        click.echo(json.dumps(values, indent=2))
        return
    click.echo(f"Nothing new: all {done_count} captures were already ingested.")
    click.echo(f"Articles in the warehouse: {article_count}")


def print_summary(summary: RunSummary, *, wall_s: float | None = None) -> None:
    echo = click.echo
    duration_s = summary.duration_s if wall_s is None else wall_s
    if summary.capture_count == 0 and summary.skipped_count:
        echo(f"Nothing new: all {summary.skipped_count} captures were already ingested.")
    elif summary.capture_count == 0:
        echo("No captures found: nothing to ingest.")
    else:
        echo(f"Run {summary.run_id}: {summary.capture_count} captures in {duration_s:.1f} s")
        echo(f"  new articles:        {summary.article_count}")
        if summary.duplicate_count:
            echo(f"  duplicate captures:  {summary.duplicate_count} (same canonical URL as an article already kept)")
        echo(f"  rejections:          {summary.rejection_count}")
        for reason, count in sorted(summary.rejections.items(), key=lambda item: (-item[1], item[0])):
            echo(f"    {reason:<20} {count}")
        if summary.skipped_count:
            echo(f"  skipped (done before): {summary.skipped_count}")
        if summary.other_records:
            others = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.other_records.items()))
            echo(f"  other WARC records:  {others} (not captures)")
    echo(f"Articles in the warehouse: {summary.total_article_count}")


def print_plan(plan: Plan, output_format: str, *, fetching: bool) -> None:
    """What `run --dry-run` prints: the captures to do (one per line: time, URL), then the counts
    on stderr; unusable input is an error as in a real run."""
    rows = [
        {
            "url": ref.url,
            "archive_url": ref.archive_url,
            "captured_at": ref.captured_at.isoformat() if ref.captured_at else None,
        }
        for ref in plan.todo
    ]
    if output_format == "json":
        values = {"todo_count": len(rows), "done_count": plan.done_count, "invalid_count": plan.invalid_count}
        click.echo(json.dumps({**values, "errors": plan.errors, "captures": rows}, indent=2))
    else:
        for row in rows:
            click.echo(f"{row['captured_at'] or '-'}  {row['archive_url'] or row['url']}")
        verb = "fetch" if fetching else "read"
        click.echo(
            f"Would {verb} {len(rows)} captures ({plan.done_count} already done, "
            f"{plan.invalid_count} invalid input lines); nothing was fetched or written.",
            err=True,
        )
    if plan.errors:
        raise click.ClickException("; ".join(plan.errors))
