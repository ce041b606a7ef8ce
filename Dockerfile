# syntax=docker/dockerfile:1
#
# One image for the three production processes of the quality-award system:
#   API      uvicorn api.app:app --host 0.0.0.0 --port 8000 --no-proxy-headers   (default CMD)
#   worker   python -m worker
#   migrate  python -m db.migrate                              (one-shot, exits 0)
# docker-compose.yml selects the process with `command:`.
#
# Only the runtime dependencies are installed (`pip install .`): the embedded
# PostgreSQL / Temporal dev servers of the `local` and `dev` extras are not part
# of the image. Time zones come from the `tzdata` Python package (a project
# dependency), so the slim base needs no system tz database.

ARG PYTHON_IMAGE=python:3.11-slim

# --- build: install the project into a self-contained virtualenv -------------
FROM ${PYTHON_IMAGE} AS build

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:${PATH}"

WORKDIR /src
# Dependencies first (read from pyproject.toml), so that a code-only change
# reuses the cached dependency layer; then the project itself.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
 && pip install --no-cache-dir -r /tmp/requirements.txt
COPY . .
RUN pip install --no-cache-dir . \
 && cd / \
 && python -c "import importlib.util as u, zoneinfo; missing = [m for m in ('api.app', 'worker.__main__', 'db.migrate', 'audit.__main__', 'domain', 'workflows', 'activities', 'config') if u.find_spec(m) is None]; assert not missing, missing; zoneinfo.ZoneInfo('Asia/Shanghai')"

# --- runtime -----------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

LABEL org.opencontainers.image.title="lucheng-quality-award" \
      org.opencontainers.image.description="Lucheng District Government Quality Award: API, Temporal worker and DB migrations"

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    AWARD_ENVIRONMENT=production

# Unprivileged user with a fixed uid/gid (no login shell, no home contents).
RUN groupadd --system --gid 10001 award \
 && useradd --system --uid 10001 --gid award --no-create-home --home-dir /app --shell /usr/sbin/nologin award \
 && mkdir -p /app \
 && chown award:award /app

COPY --from=build /opt/venv /opt/venv

WORKDIR /app
USER award:award

EXPOSE 8000

# No HEALTHCHECK here: the same image runs the worker and the one-shot migration,
# which serve no port. docker-compose.yml defines a health check for the API only.
# --no-proxy-headers: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1; the API decides
# whom to believe itself (AWARD_TRUSTED_PROXIES), for its rate limits (P6)
CMD ["uvicorn", "api.app:app", "--host", "0.0.0.0", "--port", "8000", "--no-proxy-headers"]
