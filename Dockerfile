# syntax=docker/dockerfile:1
# Build:  docker build -t agent-runtime .
# Run:    docker run -p 8123:8123 -e OPENAI_API_KEY=... agent-runtime

# The environment is built with the README's own commands, from the committed lock file.
FROM python:3.11-slim AS build
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never
WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
COPY src ./src
RUN pip install --no-cache-dir uv && uv sync --frozen --no-dev

# Same base image, so the virtual environment's interpreter path stays valid.
FROM python:3.11-slim AS runtime
RUN pip install --no-cache-dir uv \
    && useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app
WORKDIR /app
COPY --from=build --chown=app:app /app /app
USER app
ENV HOST=0.0.0.0 PORT=8123 UV_CACHE_DIR=/tmp/uv-cache UV_PYTHON_DOWNLOADS=never
EXPOSE 8123
# /health answers 503 when the database is unreachable; urlopen fails on it.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8123'), timeout=4)"]
# The environment was synced at build time; --no-sync keeps start-up offline and read-only.
# The server drains in-flight requests and runs on SIGTERM, which `docker stop` sends.
CMD ["uv", "run", "--no-sync", "agent-runtime"]
