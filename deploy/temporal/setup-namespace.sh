#!/bin/sh
# One-shot job (service `temporal-setup`, image temporalio/admin-tools, `temporal` CLI):
#   1. waits until the Temporal frontend answers `operator cluster health`;
#   2. creates the application's namespace if it does not exist yet;
#   3. registers the custom search attributes the workflows upsert (P3: find a
#      cycle/application in the Temporal UI by year, award, stage, enterprise).
# Idempotent: an existing namespace is left as it is, and creating a search
# attribute that already exists with the same type succeeds. An attribute that
# exists with a *different* type makes the job fail, on purpose.
# POSIX sh on purpose: newer admin-tools images ship no bash.
set -eu

: "${TEMPORAL_ADDRESS:?TEMPORAL_ADDRESS (host:port of the Temporal frontend) is required}"
NAMESPACE="${TEMPORAL_NAMESPACE:-quality-award}"
RETENTION="${TEMPORAL_NAMESPACE_RETENTION:-90d}"
WAIT_SECONDS="${WAIT_SECONDS:-300}"
export TEMPORAL_ADDRESS

# name=type, one per line. Must match config/constants.py SEARCH_ATTRIBUTES
# (.ci/run checks that they agree).
SEARCH_ATTRIBUTES="
AwardYear=Int
AwardType=Keyword
AwardStage=Keyword
EnterpriseCreditCode=Keyword
AwardOutcome=Keyword
"

log() { echo "[temporal-setup] $*"; }

tctl() {
    temporal --address "${TEMPORAL_ADDRESS}" "$@"
}

# retry GIVE_UP_MESSAGE RETRY_FORMAT COMMAND...: runs COMMAND until it succeeds, at most 20
# times, 3 s apart; RETRY_FORMAT is a printf format of the attempt number.
retry() {
    give_up="$1"
    retrying="$2"
    shift 2
    attempt=1
    until "$@"; do
        if [ "${attempt}" -ge 20 ]; then
            log "${give_up}" >&2
            exit 1
        fi
        # shellcheck disable=SC2059  # the format is ours
        log "$(printf "${retrying}" "${attempt}")"
        attempt=$((attempt + 1))
        sleep 3
    done
}

# 1. Wait for the frontend.
waited=0
until tctl operator cluster health 2>/dev/null | grep -q SERVING; do
    if [ "${waited}" -ge "${WAIT_SECONDS}" ]; then
        log "Temporal at ${TEMPORAL_ADDRESS} is not SERVING after ${WAIT_SECONDS}s" >&2
        tctl operator cluster health >&2 || true
        exit 1
    fi
    log "waiting for Temporal at ${TEMPORAL_ADDRESS} (${waited}s)"
    sleep 3
    waited=$((waited + 3))
done
log "Temporal at ${TEMPORAL_ADDRESS} is SERVING"

# 2. Namespace.
if tctl operator namespace describe --namespace "${NAMESPACE}" >/dev/null 2>&1; then
    log "namespace ${NAMESPACE} already exists"
else
    log "creating namespace ${NAMESPACE} (retention ${RETENTION})"
    if ! tctl operator namespace create --namespace "${NAMESPACE}" --retention "${RETENTION}" \
            --description "Lucheng District Government Quality Award"; then
        # A concurrent run may have created it in the meantime.
        tctl operator namespace describe --namespace "${NAMESPACE}" >/dev/null
    fi
fi

# 3. Search attributes. A new namespace can take a few seconds to reach every
# frontend cache, so listing and registration are retried.
registered_type() {  # $1 = name; prints the registered type, empty if none
    printf '%s\n' "${listing}" | awk -v n="$1" '$1 == n { print $2 }'
}

list_attributes() {  # sets listing
    listing="$(tctl operator search-attribute list --namespace "${NAMESPACE}")"
}

listing=""
retry "cannot list search attributes of namespace ${NAMESPACE}" \
    "namespace ${NAMESPACE} not visible yet (attempt %s); retrying" \
    list_attributes

for pair in ${SEARCH_ATTRIBUTES}; do
    name="${pair%%=*}"
    type="${pair#*=}"
    current="$(registered_type "${name}")"
    if [ "${current}" = "${type}" ]; then
        log "search attribute ${name} (${type}) already registered"
        continue
    elif [ -n "${current}" ]; then
        log "search attribute ${name} is registered as ${current}, but the application needs ${type}" >&2
        exit 1
    fi
    retry "could not register search attribute ${name} (${type}) in ${NAMESPACE}" \
        "search attribute ${name}: attempt %s failed; retrying" \
        tctl operator search-attribute create --namespace "${NAMESPACE}" --name "${name}" --type "${type}"
    log "search attribute ${name} (${type}) registered"
done

# Verify: every attribute is listed with its type.
listing="$(tctl operator search-attribute list --namespace "${NAMESPACE}")"
for pair in ${SEARCH_ATTRIBUTES}; do
    name="${pair%%=*}"
    type="${pair#*=}"
    current="$(registered_type "${name}")"
    if [ "${current}" != "${type}" ]; then
        log "search attribute ${name}: expected type ${type}, found '${current}' in namespace ${NAMESPACE}" >&2
        exit 1
    fi
done
log "namespace ${NAMESPACE} is ready; search attributes:" ${SEARCH_ATTRIBUTES}
