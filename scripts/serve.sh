#!/usr/bin/env bash
# The run command: set up .venv, build the release if needed, and serve it on http://127.0.0.1:8000/.
# Any arguments go to `pilotkg serve` (e.g. --port 8080, --store DIR).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/venv.sh
exec .venv/bin/pilotkg serve "$@"
