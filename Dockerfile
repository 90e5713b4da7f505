# mockflow as a CI service container: `docker run -p 5000:5000 mockflow`.
# See docs/container.md for compose / GitHub Actions examples and for what `make image-test` proves.
FROM python:3.11-slim

# No .pyc writes at run time (the user cannot write site-packages anyway), unbuffered logs,
# and no pip cache or version check baked into the layer.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MOCKFLOW_PORT=5000

# A fixed, unprivileged uid so volume permissions are predictable across builds.
RUN groupadd --system --gid 10001 mockflow \
    && useradd --system --uid 10001 --gid mockflow --home-dir /home/mockflow \
       --create-home --shell /usr/sbin/nologin mockflow

# Runtime dependencies only (no `[test]` extra); the source tree is removed in the same
# layer. Bytecode: compiling every installed module costs ~60 MB (mlflow-skinny's deps are
# large), compiling none costs ~1 s per start (the non-root user cannot write .pyc files).
# So install without compiling, then build the app once, which writes .pyc files for exactly
# the modules a start imports (~20 MB).
COPY pyproject.toml README* /tmp/src/
COPY mockflow /tmp/src/mockflow
# Example fixture files (the default API keys ship inside the package).
COPY fixtures /opt/mockflow/fixtures
RUN pip install --no-compile /tmp/src \
    && rm -rf /tmp/src \
    && PYTHONDONTWRITEBYTECODE= python -c "import mockflow.cli, mockflow.serving as s, \
waitress.server, mockflow.fastimport as f; f.import_app()(s.Settings.from_env())"

USER mockflow
WORKDIR /home/mockflow
EXPOSE 5000

# slim has no curl; the interpreter is already there. Exit 0 only on HTTP 200 from /health.
HEALTHCHECK --interval=5s --timeout=3s --start-period=10s --retries=5 \
    CMD ["python", "-c", "import os, sys, urllib.request; port = os.environ.get('MOCKFLOW_PORT', '5000'); sys.exit(0 if urllib.request.urlopen(f'http://127.0.0.1:{port}/health', timeout=2).status == 200 else 1)"]

ENTRYPOINT ["mockflow", "serve", "--host", "0.0.0.0"]
