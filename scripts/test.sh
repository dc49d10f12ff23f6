#!/usr/bin/env bash
# Installs everything and runs every test: type-check, lint, build, unit, and e2e in a real VS Code (code-server).
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_node
say "system packages"
"$ROOT/scripts/setup-system.sh"
ensure_node_modules
say "code-server for the e2e tests"
"$ROOT/scripts/install-code-server.sh" >/dev/null
say "npm test (typecheck, lint, build, unit, e2e)"
cd "$ROOT"
exec npm test </dev/null
