#!/usr/bin/env bash
# Set up a virtual environment with the test extras and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/pip install -q --upgrade pip
.venv/bin/pip install -q -e '.[test,app]'
GRADIO_ANALYTICS_ENABLED=False .venv/bin/python -m pytest -q "$@"
