#!/usr/bin/env bash
# The benchmarks, in one run on this machine: installs the peers (the official Python and Node
# clients, wrk, curl) the way the tests do, builds in release mode, and prints the tables that
# BENCHMARKS.md records. Everything runs on loopback. BENCH_BASELINES=0 leaves out the two slow
# builds that only feed reference figures (the arm64 bootstrap's size, and the server from before
# worker pools), e.g. for a second run of the whole harness.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/setup.sh
require_rust_tools >/dev/null
setup_python
setup_node
command -v wrk >/dev/null || apt_install wrk || die "wrk is required (apt-get install wrk)"
command -v curl >/dev/null || apt_install curl || die "curl is required (apt-get install curl)"
# The last commit whose server ran every ADK call one at a time (before worker pools).
BEFORE_POOLS=d2bea06
step "release build"
cargo build --release --locked -p algorithmia-bench -p algorithmia-local -p algorithmia-cli -p lambda-blueprint \
  --features algorithmia-local/workflow-algorithms
export PATH="$PWD/.venv/bin:$PATH"
if [ "${BENCH_BASELINES:-1}" != 0 ]; then
  cargo lambda build --release --arm64 -p lambda-blueprint >/dev/null 2>&1 || echo "(no arm64 bootstrap: its size is left out)"
fi
step "algorithm calls: ours, the official clients, wrk"
# The server on CPU 0, every client (ours, the official ones, wrk) on CPU 1: a load generator must
# not take the server's CPU, or the limit measured is the generator's. One core each on a 2-core box.
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  taskset -c 1 target/release/algorithmia-bench algo --server-cpus 0 --chart BENCHMARKS-throughput.svg
else
  target/release/algorithmia-bench algo --chart BENCHMARKS-throughput.svg
fi
step "the server alone: algorithmia-local beside a bare axum handler, wrk at concurrency 64"
if command -v taskset >/dev/null && [ "$(nproc)" -ge 2 ]; then
  taskset -c 1 target/release/algorithmia-bench server --server-cpus 0 --chart BENCHMARKS-server.svg
else
  target/release/algorithmia-bench server --chart BENCHMARKS-server.svg
fi
step "data: 1 GiB up and down, ours and curl"
target/release/algorithmia-bench data --size-mib 1024 --chart BENCHMARKS-data.svg
step "the command line: algo cp of 1,000 small files and of 1 GiB, ours, the official CLI, curl"
target/release/algorithmia-bench cli --files 1000 --size-mib 1024 --runs 5
step "the blueprint's bootstrap"
target/release/algorithmia-bench blueprint
step "the server from before worker pools (commit $BEFORE_POOLS), the hosted scenario's baseline"
# Built once from the repository's history into its own target directory, with the same release
# profile; a shallow clone without that commit cannot measure the baseline and says so.
before_dir=target/before-pools
before_args=(--before-pools "$before_dir/release/algorithmia-local")
if [ "${BENCH_BASELINES:-1}" = 0 ]; then
  before_args=()
elif [ ! -x "$before_dir/release/algorithmia-local" ]; then
  git cat-file -e "$BEFORE_POOLS^{commit}" 2>/dev/null \
    || die "commit $BEFORE_POOLS (the server before pools) is not in this clone: fetch the full history"
  rm -rf "$before_dir/src" && mkdir -p "$before_dir/src"
  git archive "$BEFORE_POOLS" | tar -x -C "$before_dir/src"
  cargo build --release --locked --manifest-path "$before_dir/src/Cargo.toml" \
    --target-dir "$before_dir" -p algorithmia-local --bin algorithmia-local
fi
step "a hosted ADK algorithm: before pools, a pool of 1 worker and one per core, apply in one process; git push to callable"
# Not pinned: the pool's workers inherit the server's CPUs, and must be free to use them all.
target/release/algorithmia-bench hosted "${before_args[@]}" --chart BENCHMARKS-hosted.svg
