# Shared set-up for the scripts: logging, and installing what the tests and workflows need.
# Sourced, not run.

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The Rust toolchain with rustfmt and clippy. rustup can only add components where it can reach its
# own server, so a missing component is reported clearly rather than fetched.
require_rust_tools() {
  command -v cargo >/dev/null || die "cargo is not installed; install Rust (rustup) first"
  cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt >/dev/null 2>&1 \
    || die "rustfmt is missing and could not be installed (rustup component add rustfmt)"
  cargo clippy --version >/dev/null 2>&1 || rustup component add clippy >/dev/null 2>&1 \
    || die "clippy is missing and could not be installed (rustup component add clippy)"
  cargo --version
}
