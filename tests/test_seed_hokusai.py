"""The seeded registry is shaped the way the Hokusai SDK registers models, so its lookups work.

The SDK (hokusai-ml-platform, ``hokusai.core.registry.ModelRegistry``) registers a tokenized
model by creating a version and tagging it with ``hokusai_token_id`` (upper-cased),
``benchmark_metric``, ``benchmark_value`` (``str(float)``), ``hokusai_status`` and
``hokusai_proposal_identifier``; ``list_models_by_token`` walks every version of every model and
normalises each version's ``hokusai_token_id``, which fails on a version without one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from mlflow.tracking import MlflowClient

from mockflow.server import MockflowServer

REF = "2026-01-15T00:00:00Z"
TOKEN = re.compile(r"^[A-Z0-9]([A-Z0-9-]*[A-Z0-9])?$")  # the SDK's token rule, upper-cased
SDK_TAGS = {
    "hokusai_token_id",
    "benchmark_metric",
    "benchmark_value",
    "hokusai_status",
    "hokusai_proposal_identifier",
}


@pytest.fixture(scope="module")
def client() -> Iterator[MlflowClient]:
    with MockflowServer(port=0, world="default", reference_time=REF, auth=False) as srv:
        yield MlflowClient(srv.prefixed_url)


def test_every_seeded_version_carries_the_tags_the_sdk_writes(client: MlflowClient) -> None:
    models = client.search_registered_models()
    assert len(models) == 5
    for model in models:
        versions = client.search_model_versions(f"name='{model.name}'")
        assert versions
        for version in versions:
            tags = version.tags
            assert SDK_TAGS <= set(tags), (model.name, version.version)
            assert TOKEN.match(tags["hokusai_token_id"])
            assert tags["hokusai_token_id"] == model.tags["hokusai_token_id"]
            assert tags["benchmark_metric"] == model.tags["benchmark_metric"]
            assert float(tags["benchmark_value"]) == pytest.approx(
                client.get_run(version.run_id).data.metrics[tags["benchmark_metric"]], abs=1e-4
            )
            assert tags["hokusai_status"] == "registered"
            assert tags["hokusai_proposal_identifier"] == tags["hokusai_token_id"]
            assert version.description == (
                f"Token: {tags['hokusai_token_id']}, Metric: {tags['benchmark_metric']}"
            )


def test_a_token_finds_its_model_versions_as_the_sdk_looks_them_up(client: MlflowClient) -> None:
    model = client.search_registered_models(max_results=1)[0]
    token = model.tags["hokusai_token_id"]

    by_filter = client.search_model_versions(f"tags.hokusai_token_id = '{token}'")

    # list_models_by_token: every version of every model, compared by normalised token id.
    walked = [
        (m.name, v.version)
        for m in client.search_registered_models()
        for v in client.search_model_versions(f"name='{m.name}'")
        if v.tags["hokusai_token_id"].upper() == token.lower().upper()
    ]
    assert walked and sorted((v.name, v.version) for v in by_filter) == sorted(walked)
    assert {v.name for v in by_filter} == {model.name}
