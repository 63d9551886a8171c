"""The report's summary charts as Prefect artifacts (flows/artifacts.py): Markdown bars from the same
numbers as the page, attached to a real flow run on the session's Prefect server."""

from __future__ import annotations

import asyncio

from flows import artifacts
from tests.warehouse import report_fixture
from warehouse import report


def test_summary_markdown_bars(tmp_path):
    data = report.collect(report_fixture.build(tmp_path / "data"))
    text = artifacts.summary_markdown(data)
    assert "30 articles from 3 publications; 35 captures, 5 rejected; 3 runs" in text
    assert "| not_article | 2 | " + "█" * artifacts.BAR_WIDTH + " |" in text
    assert "| http_404 | 1 | " + "█" * (artifacts.BAR_WIDTH // 2) + " |" in text
    assert "Nothing yet." not in text
    empty = tmp_path / "empty"
    assert "no articles yet" in artifacts.summary_markdown(report.collect(empty))


def test_a_flow_run_gets_the_artifacts(tmp_path, prefect_server):
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId, ArtifactFilterKey

    data_dir = report_fixture.build(tmp_path / "data")

    @flow
    def attach() -> None:
        artifacts.publish(data_dir)

    # This flow run's own artifacts: other tests' runs on the session's server publish the same keys.
    flow_run_id = attach(return_state=True).state_details.flow_run_id

    async def latest(key: str):
        wanted = ArtifactFilter(
            key=ArtifactFilterKey(any_=[key]), flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])
        )
        async with get_client() as client:
            found = await client.read_artifacts(artifact_filter=wanted)
            return found[-1] if found else None

    markdown = asyncio.run(latest("warehouse-report"))
    assert markdown is not None and "Rejections by reason" in markdown.data
    table = asyncio.run(latest("field-coverage"))
    assert table is not None and "Harbour Gazette" in str(table.data)
