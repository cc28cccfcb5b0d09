#!/usr/bin/env bash
# The main job: the smart-thumbnail workflow, end to end, on an embedded algorithmia-local (no AWS
# account, no network). Extra arguments go to the program (see --help), e.g. --image photo.jpg.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
require_rust_tools >/dev/null
cargo run --quiet --locked -p examples --bin thumbnail -- "$@"
