#!/bin/sh
# Runs once, when the postgres container initialises an empty data volume
# (mounted at /docker-entrypoint-initdb.d). Creates, as the superuser:
#   role award     + database award                (the application; owner award)
#   role temporal  + databases temporal, temporal_visibility (Temporal; owner temporal)
# Neither role is a superuser or may create databases or roles. The Temporal
# schema job (deploy/temporal/setup-schema.sh) then loads Temporal's schema into
# the two Temporal databases; `python -m db.migrate` loads the application's.
#
# Passwords come from the environment of the postgres service
# (AWARD_DB_PASSWORD, TEMPORAL_DB_PASSWORD) and are passed to psql as variables,
# never spliced into SQL text.
set -eu

: "${AWARD_DB_PASSWORD:?AWARD_DB_PASSWORD is required}"
: "${TEMPORAL_DB_PASSWORD:?TEMPORAL_DB_PASSWORD is required}"
AWARD_DB_NAME="${AWARD_DB_NAME:-award}"
TEMPORAL_DB_NAME="${TEMPORAL_DB_NAME:-temporal}"
TEMPORAL_VISIBILITY_DB_NAME="${TEMPORAL_VISIBILITY_DB_NAME:-temporal_visibility}"

psql -v ON_ERROR_STOP=1 \
     --username "${POSTGRES_USER:-postgres}" \
     --dbname "${POSTGRES_DB:-${POSTGRES_USER:-postgres}}" \
     --set=award_password="${AWARD_DB_PASSWORD}" \
     --set=temporal_password="${TEMPORAL_DB_PASSWORD}" \
     --set=award_db="${AWARD_DB_NAME}" \
     --set=temporal_db="${TEMPORAL_DB_NAME}" \
     --set=temporal_visibility_db="${TEMPORAL_VISIBILITY_DB_NAME}" <<'SQL'
CREATE ROLE award LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'award_password';
CREATE ROLE temporal LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'temporal_password';

CREATE DATABASE :"award_db" OWNER award ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE :"temporal_db" OWNER temporal ENCODING 'UTF8' TEMPLATE template0;
CREATE DATABASE :"temporal_visibility_db" OWNER temporal ENCODING 'UTF8' TEMPLATE template0;

-- Each role connects to its own databases only.
REVOKE CONNECT, TEMPORARY ON DATABASE :"award_db" FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE :"temporal_db" FROM PUBLIC;
REVOKE CONNECT, TEMPORARY ON DATABASE :"temporal_visibility_db" FROM PUBLIC;
SQL

echo "initdb: created roles award, temporal and databases ${AWARD_DB_NAME}, ${TEMPORAL_DB_NAME}, ${TEMPORAL_VISIBILITY_DB_NAME}"
