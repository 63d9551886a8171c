"""RunOptions: one model built the same way from the command line, a configured source and a
deployment; what Prefect validates and what its UI draws a form from."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from flows.config import parse_config
from flows.options import RunOptions, build_run_options, one_line

REPO = Path(__file__).resolve().parents[2]

CONFIG = {
    "data_dir": "news",
    "batch_size": 150,
    "user_agent": "test-agent",
    "hosts": {"web.archive.org": 0.5},
    "sources": [
        {"name": "gazette", "kind": "cdx", "pattern": "gazette.example/*", "from": "2020", "schedule": "0 3 * * *"},
        {"name": "crawl", "kind": "warc", "paths": ["/abs/a.warc.gz"]},
        {"name": "sample", "kind": "sample"},
    ],
}


@pytest.fixture
def config(tmp_path, monkeypatch):
    for name in ("NEWSARCHIVE_DATA_DIR", "NEWSARCHIVE_PARQUET_URI", "NEWSARCHIVE_USER_AGENT"):
        monkeypatch.delenv(name, raising=False)
    return parse_config(CONFIG, base_dir=tmp_path)


def test_the_source_kind_follows_from_the_inputs():
    assert RunOptions().inputs.kind == "sample"
    assert RunOptions.build(warc_paths=["a.warc.gz"]).inputs.kind == "warc"
    assert RunOptions.build(cdx_patterns=["x/*"], sitemaps=["https://x/s.xml"]).inputs.kind == "fetch"


def test_flat_keywords_land_in_their_part():
    options = RunOptions.build(data_dir="d", url_files=["u.txt"], rates=["2"], batch_size=5, refresh=True)
    assert (options.data_dir, options.refresh) == ("d", True)
    assert (options.inputs.url_files, options.fetch.rates, options.tuning.batch_size) == (["u.txt"], ["2"], 5)
    with pytest.raises(TypeError, match="no option 'batchsize'"):
        RunOptions.build(batchsize=5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"date_from": "2020-01-01"}, "bad --from '2020-01-01': expected YYYY[MM[DD[hh[mm[ss]]]]]"),
        ({"date_to": "20201301"}, "bad --to '20201301': not a real date"),
        ({"warc_paths": ["a"], "url_files": ["b"]}, "--warc reads captures from disk; run it separately"),
        ({"archive": "web.archive.org"}, "bad --archive 'web.archive.org': expected an http(s) URL prefix"),
        ({"rates": ["fast"]}, "bad --rate 'fast'"),
        ({"capture_policy": "best"}, "inputs.capture_policy: Input should be 'first', 'last' or 'all'"),
        ({"batch_size": 0}, "tuning.batch_size: Input should be greater than or equal to 1"),
        ({"host_rates": {"x": -1}}, "bad rate for 'x'"),
    ],
)
def test_invalid_options_are_one_line_errors(values, message):
    with pytest.raises(ValidationError) as error:
        RunOptions.build(**values)
    line = one_line(error.value)
    assert message in line and "\n" not in line


def test_cli_and_config_accept_the_same_timestamps(config):
    # `--from 2020` on the command line and `from = "2020"` in the file: one rule
    assert RunOptions.build(cdx_patterns=["x/*"], date_from="2020").inputs.date_from == "2020"
    assert build_run_options(config, config.source("gazette")).inputs.date_from == "2020"


def test_a_configured_source_gives_the_settings_then_its_inputs_then_the_flags(config):
    options = build_run_options(config, config.source("gazette"), {"batch_size": 20, "user_agent": None})
    assert options.inputs.cdx_patterns == ["gazette.example/*"]
    assert (options.inputs.source_name, options.inputs.incremental) == ("gazette", True)
    assert options.inputs.archive == "https://web.archive.org/web"
    assert (options.data_dir, options.tuning.batch_size, options.fetch.user_agent) == ("news", 20, "test-agent")
    assert options.fetch.host_rates == {"web.archive.org": 0.5}
    assert build_run_options(config, config.source("crawl")).inputs.warc_paths == ["/abs/a.warc.gz"]
    assert build_run_options(config, config.source("sample")).inputs.kind == "sample"
    with pytest.raises(ValueError, match="source 'gazette' names its inputs"):
        build_run_options(config, config.source("gazette"), {"url_files": ["u.txt"]})


def _validate_against_the_flow(parameters: dict) -> None:
    """What the Prefect server does with a deployment's parameters (enforce_parameter_schema),
    then what the flow does when the run starts."""
    from prefect.utilities.schema_tools.validation import validate

    from flows.ingest import ingest

    validate(parameters, ingest.parameters.model_dump(), raise_on_error=True)
    validated = ingest.validate_parameters(parameters)
    assert isinstance(validated["options"], RunOptions)


def test_deployment_parameters_validate_against_the_flow_parameter_schema(config):
    from flows.schedules import plan_deployments

    [planned] = plan_deployments(config, data_dir="/srv/news")
    _validate_against_the_flow(planned.parameters)
    assert RunOptions.model_validate(planned.parameters["options"]) == planned.options
    assert planned.options == build_run_options(config, config.source("gazette"), {"data_dir": "/srv/news"})


def test_the_committed_prefect_yaml_validates_against_the_flow():
    for deployment in yaml.safe_load((REPO / "prefect.yaml").read_text())["deployments"]:
        _validate_against_the_flow(deployment["parameters"])


def test_a_bad_deployment_parameter_is_refused_by_the_schema():
    from prefect.exceptions import ParameterTypeError
    from prefect.utilities.schema_tools.validation import ValidationError as SchemaError
    from prefect.utilities.schema_tools.validation import validate

    from flows.ingest import ingest

    bad = {"options": {"tuning": {"batch_size": 0}}}
    with pytest.raises(SchemaError):
        validate(bad, ingest.parameters.model_dump(), raise_on_error=True)
    with pytest.raises(ParameterTypeError):
        ingest.validate_parameters({"options": {"inputs": {"date_from": "yesterday"}}})
