#!/usr/bin/env bash
# The test command: install what the tests need (Python packages; Chromium, a CJK font and Virtuoso
# from Debian's packages when missing), then lint, type-check and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh test

need_apt=()
command -v chromium >/dev/null || need_apt+=(chromium)
# Without a CJK font the browser tests still pass, but screenshots show boxes for every Chinese label.
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need_apt+=(fonts-noto-cjk)
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

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# One pytest-xdist worker per core; tests/conftest.py keeps the Virtuoso, browser, pyshacl-verdict
# and timing ("slow") tests each in one worker, so that they share their resource and the timing
# tests never run beside one another.
.venv/bin/python -m pytest -n auto --dist loadgroup "$@"
