# Shared set-up for the scripts: logging, and installing what the tests and workflows need.
# Sourced, not run.

# Each step with the seconds since the script started, so a slow step shows in CI's log.
step() { printf '\n==> [%ss] %s\n' "$SECONDS" "$*"; }
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

# Build the examples' programs (thumbnail, speech-to-text, dynamodb-predict) exactly as the test
# command builds them, and print the directory that holds them. Cargo builds a package's binaries
# for its integration tests, and the same flags resolve the same features for every dependency,
# so the workflows and a test run share one build; a plain `cargo run -p examples` resolves
# features without the dev-dependencies and would rebuild most of the tree.
examples_bin_dir() {
  cargo test --quiet --locked --workspace --all-features --no-run --test smoke >&2
  local target_dir
  target_dir=$(cargo metadata --no-deps --format-version 1 --locked \
    | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
  [ -n "$target_dir" ] || die "cargo metadata named no target directory"
  printf '%s/debug\n' "$target_dir"
}

# git, which algorithmia-local's platform runs (repositories, `git http-backend`) and its tests drive.
require_git() {
  command -v git >/dev/null || apt_install git \
    || die "git is required by algorithmia-local's platform and its tests; install git"
}

# Install Debian packages when a tool is missing (CI machines run as root with apt).
apt_install() {
  if command -v apt-get >/dev/null && [ "$(id -u)" = 0 ]; then
    step "installing Debian packages: $*"
    if [ -z "${APT_UPDATED:-}" ]; then
      apt-get update -qq >/dev/null && APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    return 1
  fi
}

# Python test tools in ./.venv, from requirements-test.txt. Reinstalled only when that file changes.
setup_python() {
  command -v python3 >/dev/null || apt_install python3 python3-venv python3-pip \
    || die "python3 is required for the peer tests; install python3 and python3-venv"
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || { apt_install python3-venv && python3 -m venv .venv; } \
      || die "could not create .venv (install python3-venv)"
  fi
  local stamp=.venv/.requirements.sha
  local want
  want=$(sha256sum requirements-test.txt | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-test.txt \
      || die "pip could not install requirements-test.txt"
    echo "$want" > "$stamp"
  fi
  .venv/bin/python -c "import Algorithmia" || die "the Python client did not install"
  # SAM CLI and the SAM transform, at the versions requirements-test.txt pins (installed again if
  # a .venv made from an older list lacks them).
  local sam_cli sam_translator
  sam_cli=$(sed -n 's/^aws-sam-cli==//p' requirements-test.txt)
  sam_translator=$(sed -n 's/^aws-sam-translator==//p' requirements-test.txt)
  sam_installed() {
    .venv/bin/sam --version 2>/dev/null | grep -qx "SAM CLI, version $sam_cli" \
      && .venv/bin/python -c "import samtranslator, sys; sys.exit(samtranslator.__version__ != '$sam_translator')" 2>/dev/null
  }
  if ! sam_installed; then
    .venv/bin/python -m pip install --quiet --disable-pip-version-check \
      "aws-sam-cli==$sam_cli" "aws-sam-translator==$sam_translator" \
      || die "pip could not install aws-sam-cli==$sam_cli and aws-sam-translator==$sam_translator"
    sam_installed || die "SAM CLI $sam_cli or aws-sam-translator $sam_translator is still missing from .venv"
  fi
}

# npm packages in ./node_modules, from package.json and package-lock.json.
setup_node() {
  command -v npm >/dev/null || apt_install nodejs npm \
    || die "node and npm are required for the peer tests; install nodejs and npm"
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error || die "npm ci failed"
  fi
  node -e "require('algorithmia')" || die "the Node client did not install"
}

# The aarch64 standard library, which `cargo lambda build --arm64` links against.
require_arm64_target() {
  if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    rustup target add aarch64-unknown-linux-gnu \
      || die "could not add the aarch64-unknown-linux-gnu target (rustup target add aarch64-unknown-linux-gnu)"
  fi
}
