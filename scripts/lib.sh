# shellcheck shell=bash
# Shared by scripts/run.sh and scripts/test.sh (sourced, not run).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf '\n==> %s\n' "$*"; }

require_node() {
  if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "Socket Lab needs Node.js 20 or newer with npm (https://nodejs.org or your distribution's nodejs package)." >&2
    exit 1
  fi
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if (( major < 20 )); then
    echo "Socket Lab needs Node.js 20 or newer; this is $(node --version)." >&2
    exit 1
  fi
}

# npm ci (exactly what package-lock.json says) when node_modules is missing or older than the lock file.
ensure_node_modules() {
  local stamp="$ROOT/node_modules/.package-lock.json"
  if [[ -f "$stamp" && "$stamp" -nt "$ROOT/package-lock.json" && "${SOCKET_LAB_FORCE_CI:-}" != 1 ]]; then
    say "node_modules is up to date with package-lock.json"
    return
  fi
  say "npm ci"
  (cd "$ROOT" && npm ci --no-fund --no-audit </dev/null)
}
