#!/usr/bin/env bash
# The DynamoDB workflow, end to end: stream records priced by ml/PricePredictor on an embedded
# algorithmia-local. Extra arguments go to the program (see --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
require_rust_tools >/dev/null
bin_dir=$(examples_bin_dir)
exec "$bin_dir/dynamodb-predict" "$@"
