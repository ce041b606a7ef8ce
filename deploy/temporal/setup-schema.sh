#!/bin/sh
# One-shot job (service `temporal-schema`, image temporalio/admin-tools):
# creates or upgrades Temporal's PostgreSQL schema for the main store and the
# visibility store, with the `postgres12` SQL plugin. Every step is idempotent,
# so the job runs on every `docker compose up` and after a Temporal upgrade:
#   - create-database: allowed to fail (the databases normally exist already:
#     deploy/postgres/initdb creates them, and the temporal role has no
#     CREATEDB); setup-schema below fails loudly if one is really missing;
#   - setup-schema -v 0.0: creates the schema_version tables; a database that
#     already has a newer version is left alone;
#   - update-schema: applies only the versioned migrations not yet applied.
# POSIX sh on purpose: newer admin-tools images ship no bash.
set -eu

SQL_PLUGIN="${SQL_PLUGIN:-postgres12}"
SQL_HOST="${SQL_HOST:-postgres}"
SQL_PORT="${SQL_PORT:-5432}"
SQL_USER="${SQL_USER:-temporal}"
: "${SQL_PASSWORD:?SQL_PASSWORD (the temporal role's password) is required}"
export SQL_PASSWORD   # read by temporal-sql-tool from the environment, kept off the command line
DBNAME="${DBNAME:-temporal}"
VISIBILITY_DBNAME="${VISIBILITY_DBNAME:-temporal_visibility}"
SCHEMA_ROOT="${SCHEMA_ROOT:-/etc/temporal/schema/postgresql/v12}"
MAX_ATTEMPTS="${MAX_ATTEMPTS:-20}"
RETRY_SECONDS="${RETRY_SECONDS:-5}"

log() { echo "[temporal-schema] $*"; }

sqltool() {
    temporal-sql-tool --plugin "${SQL_PLUGIN}" --ep "${SQL_HOST}" -p "${SQL_PORT}" -u "${SQL_USER}" "$@"
}

setup_store() {
    db="$1"
    schema_dir="$2"
    if sqltool create-database --db "${db}" >/dev/null 2>&1; then
        log "${db}: database created"
    else
        log "${db}: database not created (already exists, or no CREATEDB privilege); continuing"
    fi
    log "${db}: setup-schema -v 0.0"
    sqltool --db "${db}" setup-schema -v 0.0 || return 1
    log "${db}: update-schema -d ${schema_dir}"
    sqltool --db "${db}" update-schema -d "${schema_dir}" || return 1
}

setup_all() {
    setup_store "${DBNAME}" "${SCHEMA_ROOT}/temporal/versioned" \
        && setup_store "${VISIBILITY_DBNAME}" "${SCHEMA_ROOT}/visibility/versioned"
}

for dir in "${SCHEMA_ROOT}/temporal/versioned" "${SCHEMA_ROOT}/visibility/versioned"; do
    if [ ! -d "${dir}" ]; then
        log "schema directory ${dir} is missing from this image" >&2
        exit 1
    fi
done

log "PostgreSQL ${SQL_HOST}:${SQL_PORT} as ${SQL_USER}, plugin ${SQL_PLUGIN}, stores ${DBNAME} + ${VISIBILITY_DBNAME}"
# Compose already waits for postgres to be healthy; the retries cover a
# database that restarts or is still finishing its first initialisation.
attempt=1
until setup_all; do
    if [ "${attempt}" -ge "${MAX_ATTEMPTS}" ]; then
        log "FAILED after ${attempt} attempts" >&2
        exit 1
    fi
    log "attempt ${attempt}/${MAX_ATTEMPTS} failed; retrying in ${RETRY_SECONDS}s"
    attempt=$((attempt + 1))
    sleep "${RETRY_SECONDS}"
done

log "schema of ${DBNAME} and ${VISIBILITY_DBNAME} is up to date"
