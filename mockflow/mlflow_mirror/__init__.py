"""The one boundary between mockflow and MLflow's private code and behaviour.

mockflow reuses MLflow's public pieces directly (protos, entities, ``proto_json_utils``, search
utilities, error codes). Everything else it needs from MLflow lives here:

- **private imports**: names starting with ``_`` (and private methods) that MLflow does not
  promise to keep; each is imported by exactly one module in this package, which papers over
  differences between the MLflow versions mockflow supports (``pyproject.toml``'s range);
- **transcribed behaviour**: code mockflow cannot import because it lives in ``mlflow/server``
  (never imported at run time: it drags in the full server) or in a store mockflow replaces
  (the SQLAlchemy store); these modules re-type it.

Each module opens with the MLflow file(s) and version it mirrors. When a new MLflow release
comes out, this folder is the part to re-read: ``tests/test_mlflow_mirror.py`` holds the
transcriptions to the installed MLflow where the original can be imported in tests.

Modules:

- ``validation``   private validators of ``mlflow/utils/validation.py``
- ``names``        run/model name generator (``mlflow/utils/name_utils.py``)
- ``search``       private matchers of ``mlflow/utils/search_utils.py``
- ``exceptions``   private exception classes of ``mlflow/exceptions.py``
- ``handler_schemas``  the request-schema validators and limits of ``mlflow/server/handlers.py``
- ``model_sources``    model-version source rules of ``mlflow/server/handlers.py``
- ``sql_store``    checks and sampling of ``mlflow/store/tracking/sqlalchemy_store.py``
- ``sql_registry_store``  checks, ordering and paging of the SQL model-registry store
- ``mime_types``   artifact MIME types of ``mlflow/utils/mime_type_utils.py``
- ``artifact_upload``  the upload answer of ``mlflow/server/artifact_router.py`` or ``handlers.py``
- ``proto_json``   compact ``message_to_json``; ``server_info`` the ``server-info`` body
- ``models_from_code``  the model directory ``mlflow.pyfunc.log_model(python_model="f.py")``
  writes (``mlflow/pyfunc/__init__.py``, ``mlflow/models/model.py``)
- ``workspaces``   workspace names, resolution, errors, deletion modes and artifact scoping of
  ``mlflow/server/workspace_helpers.py``, ``handlers.py`` and the workspace stores
- ``traces``       trace rules of the SQL store and the trace handlers (tags, names, states,
  assessments, search comparisons)
- ``otlp``         the OTLP endpoint ``mlflow/server/otel_api.py``
- ``trace_metrics``  ``QueryTraceMetrics`` configs of ``sql_trace_metrics_utils.py``
- ``scorers``      scorer payload checks of ``mlflow/server/handlers.py``
"""
