#!/usr/bin/env bash
# Installs everything and runs Socket Lab: in desktop VS Code when `code` is on PATH, else in the pinned
# code-server on 127.0.0.1 (prints the URL to open). Usage: ./scripts/run.sh [folder-to-open]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

require_node
say "system packages"
"$ROOT/scripts/setup-system.sh"
ensure_node_modules
say "build"
(cd "$ROOT" && npm run --silent build)

if command -v code >/dev/null 2>&1 && [[ "${SOCKET_LAB_USE_CODE_SERVER:-}" != 1 ]]; then
  say "starting VS Code with Socket Lab loaded from $ROOT"
  exec code --new-window --extensionDevelopmentPath="$ROOT" "${1:-$ROOT}"
fi

say "code-server (no desktop 'code' on PATH)"
CODE_SERVER="$("$ROOT/scripts/install-code-server.sh" | tail -n1)"
say "package and install the extension"
(cd "$ROOT" && npm run --silent package >/dev/null)
VERSION="$(node -p "require('$ROOT/package.json').version")"
STATE="$ROOT/.cache/run"
WORKSPACE="${1:-$STATE/workspace}"
mkdir -p "$STATE/user-data/User" "$STATE/extensions" "$WORKSPACE"
# Our defaults, added to the user's own settings without overwriting any they chose. autoForwardPorts: false stops
# code-server's "Open in Browser" toast every time a Socket Lab server starts listening.
SETTINGS="$STATE/user-data/User/settings.json" node -e '
  const fs = require("fs"); const file = process.env.SETTINGS;
  let current = {};
  try { current = JSON.parse(fs.readFileSync(file, "utf8")); } catch (e) { if (e.code !== "ENOENT") process.exit(0); }
  const defaults = { "workbench.startupEditor": "none", "telemetry.telemetryLevel": "off", "remote.autoForwardPorts": false };
  const merged = { ...defaults, ...current };
  if (JSON.stringify(merged) !== JSON.stringify(current)) fs.writeFileSync(file, JSON.stringify(merged, null, 2) + "\n");'
echo "auth: none" > "$STATE/config.yaml"  # our own config, so ~/.config/code-server stays untouched
"$CODE_SERVER" --config "$STATE/config.yaml" --extensions-dir "$STATE/extensions" \
  --install-extension "$ROOT/socket-lab-$VERSION.vsix" --force >/dev/null

PORT="${SOCKET_LAB_PORT:-8080}"
# Take the next free port if this one is busy (another code-server, a dev server…).
PORT="$(node -e '
  const net = require("net"); const want = +process.argv[1];
  const tryPort = (p) => { const s = net.createServer().once("error", () => tryPort(p === want ? 0 : p + 1))
    .listen(p, "127.0.0.1", () => { const got = s.address().port; s.close(() => console.log(got)); }); };
  tryPort(want);' "$PORT")"
URL="http://127.0.0.1:$PORT/?folder=$(node -p 'encodeURIComponent(process.argv[1])' "$WORKSPACE")"
say "Socket Lab is starting. Open this URL in your browser (Ctrl+C here stops it):"
echo "    $URL"
echo
exec "$CODE_SERVER" --config "$STATE/config.yaml" --auth none --bind-addr "127.0.0.1:$PORT" \
  --user-data-dir "$STATE/user-data" --extensions-dir "$STATE/extensions" \
  --disable-telemetry --disable-update-check --disable-getting-started-override --disable-workspace-trust \
  "$WORKSPACE"
