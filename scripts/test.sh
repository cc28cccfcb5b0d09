#!/usr/bin/env bash
# The test command: installs what the tests need, then runs formatting, lints, docs and every test.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

step "toolchain"
require_rust_tools

step "test tools: Python (.venv: the official client, moto, cargo-lambda, cfn-lint, SAM CLI) and Node (node_modules)"
setup_python
setup_node
require_git
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

template=lambda-blueprint/template.yaml
export SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=us-east-1

step "SAM template: cfn-lint (and a broken copy must fail), sam validate --lint"
cfn-lint "$template"
broken=$(mktemp --suffix=.yaml)
sed 's/MemorySize: 256/MemorySize: 99999999/' "$template" > "$broken"
if cfn-lint "$broken" >/dev/null 2>&1; then
  rm -f "$broken"; die "cfn-lint accepted a broken template: the lint step checks nothing"
fi
rm -f "$broken"
sam validate --lint --template-file "$template"

step "SAM template: transformed by aws-sam-translator, created in moto's CloudFormation, IAM checked"
python scripts/check-template.py "$template"

# The workspace's target directory (CARGO_TARGET_DIR when set), where cargo-lambda and sam build put
# their output.
target_dir=$(cargo metadata --no-deps --format-version 1 --locked \
  | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')

# The release profile (fat LTO, one codegen unit, opt-level 3) makes the smallest, fastest bootstrap
# for a deploy, but took 12 to 21 minutes of the test command on two cores even without LTO. Here the
# arm64 build is checked (it compiles, links and is an aarch64 ELF that sam build reproduces), not
# measured, so both steps (sam build runs cargo-lambda with this environment) build unoptimised, in
# parallel codegen units. `sam build` and `cargo lambda build` by hand keep the profile's settings.
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=0 CARGO_PROFILE_RELEASE_INCREMENTAL=false
step "cargo lambda build --release --arm64 (the bootstrap for provided.al2023)"
cargo lambda build --release --arm64 -p lambda-blueprint
bootstrap=$target_dir/lambda/algorithmia-blueprint/bootstrap
python3 - "$bootstrap" <<'PY'
import sys
data = open(sys.argv[1], "rb").read(20)
assert data[:4] == b"\x7fELF", "not an ELF file"
machine = int.from_bytes(data[18:20], "little")
assert machine == 0xB7, f"not aarch64 (e_machine {machine:#x})"
print(f"{sys.argv[1]}: ELF aarch64, {__import__('os').path.getsize(sys.argv[1])} bytes")
PY

# Right after the build above: sam build runs the same `cargo lambda build --release --arm64` in the
# crate, against the same target directory, so cargo finds everything fresh and only copies.
step "sam build (through cargo-lambda; reuses the build above)"
sam build --template-file "$template" --build-dir "$target_dir/sam-build"
cmp "$target_dir/sam-build/Forwarder/bootstrap" "$bootstrap" \
  || die "sam build's bootstrap differs from cargo lambda build's: it built with other settings"

step "the README's workflow commands: thumbnail (the main job), speech-to-text, dynamodb-predict"
bash scripts/thumbnail.sh --output target/ci-thumbnail.png
bash scripts/speech-to-text.sh
bash scripts/dynamodb-predict.sh

step "all checks passed"
