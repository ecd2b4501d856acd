#!/usr/bin/env bash
# Installs what the report acceptance tests need, only when missing:
#   - headless Chromium (Debian package `chromium`) for the catalog HTML page test;
#   - a throwaway Python virtualenv at .build/test-venv with rdflib (DCAT JSON-LD) and
#     prometheus-client (metrics file parser).
# The tests look for them in the same places (Tests/IntegrationTests/Support/TestTools.swift).
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
    echo "installing chromium (headless browser for the catalog HTML test)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium
fi

# A CJK font so the screenshot shows 汉字 rather than boxes (the test passes either way).
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
    echo "installing a CJK font (fonts-wqy-microhei)"
    SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-wqy-microhei \
        || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends fonts-wqy-microhei; }
fi

VENV=.build/test-venv
if ! "$VENV/bin/python" -c "import rdflib, prometheus_client" >/dev/null 2>&1; then
    # Debian's python3 needs python3-venv for `python3 -m venv` (ensurepip).
    if ! python3 -c "import ensurepip, venv" >/dev/null 2>&1; then
        echo "installing python3-venv"
        SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-venv
    fi
    echo "creating $VENV (rdflib, prometheus-client)"
    mkdir -p .build
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check rdflib prometheus-client
fi
