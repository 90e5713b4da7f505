"""The MLflow web UI's GenAI view over the default world's seeded app (seed/genai.py): the
traces list of the support assistant's experiment and one trace's span tree."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.ui

TIMEOUT = 30_000


def test_genai_traces_list_and_span_tree(ui: Any, client: Any) -> None:
    experiment = client.get_experiment_by_name("support-assistant")
    newest = client.search_traces(
        locations=[experiment.experiment_id], max_results=1, include_spans=False
    )[0]
    ui.open(f"#/experiments/{experiment.experiment_id}/traces")
    preview = newest.info.request_preview
    ui.page.get_by_text(preview).first.wait_for(state="visible", timeout=TIMEOUT)
    ui.settle()
    ui.dismiss_dialogs()
    ui.screenshot("genai-traces")
    ui.page.get_by_text(preview).first.click()
    for span in ("retrieve_docs", "generate_answer"):
        ui.page.get_by_text(span, exact=True).first.wait_for(state="visible", timeout=TIMEOUT)
    ui.settle()
    ui.screenshot("genai-trace")
    # The GenAI view asks for the signed-in user's permissions, a route of MLflow's auth app; a
    # server without it (mockflow, or `mlflow server` without --app-name basic-auth) answers 404.
    failures = [f for f in ui.failures if "/users/current/permissions" not in f]
    assert failures == [], "\n".join(failures)
