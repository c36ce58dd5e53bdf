#!/usr/bin/env bash
# The test command: install what the tests need (Python packages; Chromium, a CJK font, Node.js,
# Virtuoso, Jena, raptor and rasqal from Debian's packages when missing; axe-core and Comunica from
# npm), then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh test

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
# Without a CJK font the browser tests still pass, but screenshots show boxes for every Chinese label.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
# npm installs axe-core, the accessibility checker the browser tests inject into pages.
command -v node >/dev/null || need_apt+=(nodejs)
command -v npm >/dev/null || need_apt+=(npm)
# The client matrix (tests/clients/): Jena's tools (jars only; the tests build the classpath),
# raptor's rapper and rasqal's roqet; npm installs Comunica.
dpkg -s libapache-jena-java >/dev/null 2>&1 || need_apt+=(libapache-jena-java)
command -v rapper >/dev/null || need_apt+=(raptor2-utils)
command -v roqet >/dev/null || need_apt+=(rasqal-utils)
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
    else
        echo "test.sh: please install ${need_apt[*]} (sudo apt-get install ${need_apt[*]})" >&2
        exit 2
    fi
fi
bash scripts/virtuoso.sh install
# The locked axe-core; npm ls needs no network, so an installed copy is used offline as it is.
(cd tests/js && { npm ls --silent >/dev/null 2>&1 || npm ci --ignore-scripts --no-audit --no-fund --silent; })
# The locked Comunica, the same way.
(cd tests/clients/js && { npm ls --silent >/dev/null 2>&1 || npm ci --ignore-scripts --no-audit --no-fund --silent; })

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# One pytest-xdist worker per core; tests/conftest.py keeps the Virtuoso, browser, client-matrix
# and timing ("slow") tests each in one worker, so that they share their resource and the timing
# tests never run beside one another.
.venv/bin/python -m pytest -n auto --dist loadgroup "$@"
