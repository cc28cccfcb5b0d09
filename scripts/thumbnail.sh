#!/usr/bin/env bash
# The main job: the smart-thumbnail workflow, end to end, on an embedded algorithmia-local (no AWS
# account, no network). Extra arguments go to the program (see --help), e.g. --image photo.jpg.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
require_rust_tools >/dev/null
bin_dir=$(examples_bin_dir)
exec "$bin_dir/thumbnail" "$@"
