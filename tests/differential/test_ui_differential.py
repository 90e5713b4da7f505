"""The web UI's own requests (GraphQL, dataset summaries, bulk metric history) answer the same
on mockflow and on a real `mlflow server`, after ids, names and server times are normalised."""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import pytest
import requests
from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

from tests.differential.harness import T0

pytestmark = pytest.mark.real_server

# The fields the UI's run page asks for (its `GetRun` query), plus aliases, a fragment and
# __typename, which the answer must honour as graphene does.
GET_RUN = """
query GetRun($data: MlflowGetRunInput!) @component(name: "MLflow.ExperimentRunTracking") {
  mlflowGetRun(input: $data) {
    apiError { helpUrl code message __typename }
    run {
      info { runUuid runName experimentId status startTime endTime lifecycleStage userId
             artifactUri __typename }
      experiment { experimentId name artifactLocation lifecycleStage lastUpdateTime
                   tags { key value __typename } __typename }
      modelVersions { name version status __typename }
      data {
        metrics { ...MetricFields }
        latest: params { key value __typename }
        tags { key value __typename }
        __typename
      }
      inputs {
        datasetInputs { dataset { name digest sourceType source profile __typename }
                        tags { key value } __typename }
        modelInputs { modelId }
        __typename
      }
      outputs { modelOutputs { modelId step } __typename }
      __typename
    }
    __typename
  }
}
fragment MetricFields on MlflowMetricExtension { key value step timestamp __typename }
"""

# The compare page's run search.
SEARCH_RUNS = """
query SearchRuns($input: MlflowSearchRunsInput!) {
  mlflowSearchRuns(input: $input) {
    runs {
      info { runUuid runName status }
      data { metrics { key value step } params { key value } }
    }
    nextPageToken
    apiError { code message }
  }
}
"""

# (No `step`: a step "1" would be normalised as an experiment id.)
BULK_INTERVAL = """
query H($input: MlflowGetMetricHistoryBulkIntervalInput!) {
  mlflowGetMetricHistoryBulkInterval(input: $input) { metrics { runId value timestamp } }
}
"""

# Eleven aliases at one level, and a query eleven levels deep: over MLflow's GraphQL limits.
TOO_MANY_ALIASES = "query { " + " ".join(f"a{i}: test {{ output }}" for i in range(11)) + " }"
TOO_DEEP = "query { mlflowGetRun(input: {}) " + "{ a " * 10 + "{ b }" + " }" * 10 + " }"

GET_EXPERIMENT = """
query MlflowGetExperimentQuery($input: MlflowGetExperimentInput!) {
  mlflowGetExperiment(input: $input) {
    apiError { code message }
    experiment { experimentId name artifactLocation lifecycleStage creationTime lastUpdateTime
                 tags { key value } __typename }
    __typename
  }
}
"""


def scenario(url: str) -> dict[str, Any]:
    """A run as a training script leaves it, then the UI's requests about it."""
    client = MlflowClient(url)
    suffix = uuid.uuid4().hex[:8]
    experiment_id = client.create_experiment(f"ui-diff-{suffix}", tags={"team": "ml"})
    run_id = client.create_run(
        experiment_id, run_name="ui-run", start_time=T0, tags={"stage": "dev"}
    ).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 1.0 / (s + 1), T0 + s, s) for s in range(3)]
        + [Metric("odd", math.nan, T0, 0)],
        params=[Param("lr", "0.1"), Param("depth", "3")],
        tags=[RunTag("team", "core")],
    )
    dataset = Dataset("train", "d1g35t", "local", '{"uri": "/data/train.csv"}')
    client.log_inputs(run_id, [DatasetInput(dataset, [InputTag("mlflow.data.context", "train")])])
    client.set_terminated(run_id, end_time=T0 + 10)

    def graphql(query: str, variables: dict[str, Any]) -> Any:
        return requests.post(f"{url}/graphql", json={"query": query, "variables": variables}).json()

    answers = {
        "get_run": graphql(GET_RUN, {"data": {"runId": run_id}}),
        "get_missing_run": graphql(GET_RUN, {"data": {"runId": "f" * 32}}),
        "get_experiment": graphql(GET_EXPERIMENT, {"input": {"experimentId": experiment_id}}),
        "search_datasets": requests.post(
            f"{url}/ajax-api/2.0/mlflow/experiments/search-datasets",
            json={"experiment_ids": [experiment_id]},
        ).json(),
        "history_bulk": requests.get(
            f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk",
            params={"run_id": run_id, "metric_key": "loss"},
        ).json(),
        # The GenAI pages' questions about traces and evaluation datasets (none logged here).
        "search_traces": requests.post(
            f"{url}/ajax-api/3.0/mlflow/traces/search",
            json={
                "locations": [
                    {
                        "type": "MLFLOW_EXPERIMENT",
                        "mlflow_experiment": {"experiment_id": experiment_id},
                    }
                ],
                "max_results": 10,
            },
        ).json(),
        "trace_metrics": requests.post(
            f"{url}/ajax-api/3.0/mlflow/traces/metrics",
            json={
                "experiment_ids": [experiment_id],
                "view_type": "TRACES",
                "metric_name": "trace_count",
                "aggregations": [{"aggregation_type": "COUNT"}],
            },
        ).json(),
        "trace_metrics_by_day": requests.post(
            f"{url}/ajax-api/3.0/mlflow/traces/metrics",
            json={
                "experiment_ids": [experiment_id],
                "view_type": "TRACES",
                "metric_name": "trace_count",
                "aggregations": [{"aggregation_type": "COUNT"}],
                "time_interval_seconds": 86400,
                "start_time_ms": T0,
                "end_time_ms": T0 + 7 * 86400 * 1000,
                "dimensions": ["trace_status"],
            },
        ).json(),
        "search_evaluation_datasets": requests.post(
            f"{url}/ajax-api/3.0/mlflow/datasets/search",
            json={"experiment_ids": [experiment_id], "max_results": 50},
        ).json(),
        "search_runs": graphql(
            SEARCH_RUNS, {"input": {"experimentIds": [experiment_id], "maxResults": 5}}
        ),
        "bulk_interval_max_results_too_large": graphql(
            BULK_INTERVAL,
            {"input": {"runIds": [run_id], "metricKey": "loss", "maxResults": 5000}},
        ),
        "too_many_aliases": graphql(TOO_MANY_ALIASES, {}),
        "too_deep": graphql(TOO_DEEP, {}),
        "history_bulk_no_run": requests.get(
            f"{url}/ajax-api/2.0/mlflow/metrics/get-history-bulk", params={"metric_key": "loss"}
        ).json(),
    }
    return normalise(answers, {run_id: "<run>", experiment_id: "<exp>", suffix: "<suffix>"})


SERVER_TIMES = {"creationTime", "lastUpdateTime"}


def normalise(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, dict):
        return {
            k: "<server-time>" if k in SERVER_TIMES else normalise(v, ids) for k, v in value.items()
        }
    if isinstance(value, list):
        return [normalise(v, ids) for v in value]
    if isinstance(value, str):
        for raw, placeholder in ids.items():
            # Experiment ids are short numbers: only a whole value is one.
            value = placeholder if value == raw else value
            if len(raw) >= 8:
                value = value.replace(raw, placeholder)
        return re.sub(r"^mlflow-artifacts:/.*", "<artifacts>", value)
    return value


@pytest.fixture(scope="module")
def answers(real_mlflow: Any, module_mockflow_server: Any) -> dict[str, dict[str, Any]]:
    return {"real": scenario(real_mlflow.url), "mockflow": scenario(module_mockflow_server.url)}


@pytest.mark.parametrize(
    "request_name",
    [
        "get_run",
        "get_missing_run",
        "get_experiment",
        "search_datasets",
        "history_bulk",
        "history_bulk_no_run",
        "search_traces",
        "trace_metrics",
        "trace_metrics_by_day",
        "search_evaluation_datasets",
        "search_runs",
        "bulk_interval_max_results_too_large",
        "too_many_aliases",
        "too_deep",
    ],
)
def test_ui_request_answers_as_mlflow_server(
    answers: dict[str, dict[str, Any]], request_name: str
) -> None:
    assert answers["mockflow"][request_name] == answers["real"][request_name]
