#!/usr/bin/env bash
# The test command: installs what the tests need, then runs formatting, lints, docs and every test.
# Usage: scripts/test.sh            (from anywhere; CI calls it through .ci/run)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh

step "toolchain"
require_rust_tools

step "peer clients: Python (.venv) and Node (node_modules)"
setup_python
setup_node

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --all-features --locked -- -D warnings

step "cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --all-features --locked

step "cargo test"
cargo test --workspace --all-features --locked

step "all checks passed"
