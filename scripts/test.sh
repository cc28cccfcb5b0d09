#!/usr/bin/env bash
# The test command: installs what the tests need, then runs formatting, lints, docs and every test.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

step "toolchain"
require_rust_tools

step "test tools: Python (.venv: the official client, moto, cargo-lambda, cfn-lint) and Node (node_modules)"
setup_python
setup_node
require_arm64_target
export PATH="$PWD/.venv/bin:$PATH"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc (warnings are errors): the workspace with all features, the SDK with its defaults"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked
RUSTDOCFLAGS="-D warnings" cargo doc -p algorithmia-client --no-deps --locked

step "cargo test"
cargo test --workspace --all-features --locked

step "SAM template: cfn-lint (and a broken copy must fail)"
AWS_DEFAULT_REGION=us-east-1 cfn-lint lambda-blueprint/template.yaml
broken=$(mktemp --suffix=.yaml)
sed 's/MemorySize: 256/MemorySize: 99999999/' lambda-blueprint/template.yaml > "$broken"
if AWS_DEFAULT_REGION=us-east-1 cfn-lint "$broken" >/dev/null 2>&1; then
  rm -f "$broken"; die "cfn-lint accepted a broken template: the lint step checks nothing"
fi
rm -f "$broken"

step "cargo lambda build --release --arm64 (the bootstrap for provided.al2023)"
cargo lambda build --release --arm64 -p lambda-blueprint
bootstrap=target/lambda/algorithmia-blueprint/bootstrap
python3 - "$bootstrap" <<'PY'
import sys
data = open(sys.argv[1], "rb").read(20)
assert data[:4] == b"\x7fELF", "not an ELF file"
machine = int.from_bytes(data[18:20], "little")
assert machine == 0xB7, f"not aarch64 (e_machine {machine:#x})"
print(f"{sys.argv[1]}: ELF aarch64, {__import__('os').path.getsize(sys.argv[1])} bytes")
PY

step "the README's workflow commands: thumbnail (the main job), speech-to-text, dynamodb-predict"
bash scripts/thumbnail.sh --output target/ci-thumbnail.png
bash scripts/speech-to-text.sh
bash scripts/dynamodb-predict.sh

step "all checks passed"
