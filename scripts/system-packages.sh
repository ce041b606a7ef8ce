#!/usr/bin/env bash
# The Debian packages the tests use, installed with apt-get when missing (`make test` and .ci/run
# call this): chromium and CJK fonts for the portal's browser tests (Playwright drives the system's
# Chromium; it never downloads a browser) and poppler-utils (pdftoppm renders a certificate to PNG).
# Exit 0 when all are present or installed; 1 (with apt-get's last lines) when they cannot be.
set -uo pipefail

wanted=()
[[ -x "${AWARD_TEST_CHROMIUM:-/usr/bin/chromium}" ]] || wanted+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || wanted+=(fonts-noto-cjk)
command -v pdftoppm >/dev/null 2>&1 || wanted+=(poppler-utils)
if [[ ${#wanted[@]} -eq 0 ]]; then
    echo "system packages present: $("${AWARD_TEST_CHROMIUM:-/usr/bin/chromium}" --version 2>/dev/null | head -n 1); $(pdftoppm -v 2>&1 | head -n 1)"
    exit 0
fi
sudo=()
[[ $(id -u) -eq 0 ]] || sudo=(sudo -n)
log="$(mktemp "${TMPDIR:-/tmp}/apt.XXXXXX")"
trap 'rm -f "${log}"' EXIT
echo "installing ${wanted[*]} with apt-get…"
if command -v apt-get >/dev/null 2>&1 \
    && "${sudo[@]}" apt-get update -q >"${log}" 2>&1 \
    && DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q --no-install-recommends "${wanted[@]}" >>"${log}" 2>&1; then
    echo "installed ${wanted[*]}"
    exit 0
fi
echo "could not install ${wanted[*]} with apt-get (the browser and PDF rendering tests will fail); install them and retry:" >&2
tail -n 20 "${log}" 2>/dev/null | sed 's/^/    /' >&2
exit 1
