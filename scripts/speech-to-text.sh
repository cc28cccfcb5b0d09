#!/usr/bin/env bash
# The speech-to-text workflow, end to end, on an embedded algorithmia-local hosting the ADK algorithm
# sphinx/SpeechRecognition. Installs the Python pieces it needs into ./.venv first.
# Extra arguments go to the program (see --help), e.g. --audio recording.wav.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
require_rust_tools >/dev/null
setup_python >/dev/null
bin_dir=$(examples_bin_dir)
exec "$bin_dir/speech-to-text" "$@"
