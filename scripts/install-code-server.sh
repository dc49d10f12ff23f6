#!/usr/bin/env bash
# Installs the pinned code-server (real VS Code 1.100.3 in a browser) into .cache/code-server/, only if missing.
# Usage: scripts/install-code-server.sh   → prints the path of the code-server launcher on its last line.
set -euo pipefail

CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.100.3}"
RIPGREP_VERSION="1.15.11"  # the @vscode/ripgrep version code-server 4.100.3 depends on
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="${SOCKET_LAB_CODE_SERVER_DIR:-$ROOT/.cache/code-server/$CODE_SERVER_VERSION}"
BIN="$PREFIX/node_modules/code-server/out/node/entry.js"
LAUNCHER="$PREFIX/node_modules/.bin/code-server"

if [[ -x "$LAUNCHER" && -f "$BIN" && -f "$PREFIX/.installed" ]]; then
  echo "$LAUNCHER"
  exit 0
fi

if ! command -v rg >/dev/null 2>&1; then
  echo "install-code-server: ripgrep (rg) is missing; run scripts/setup-system.sh first." >&2
  exit 1
fi

# Several engineers (and CI) may call this at once: one installs, the others wait and reuse it.
mkdir -p "$PREFIX"
exec 9>"$PREFIX.lock"
flock 9
if [[ -x "$LAUNCHER" && -f "$BIN" && -f "$PREFIX/.installed" ]]; then
  echo "$LAUNCHER"
  exit 0
fi

echo "Installing code-server@$CODE_SERVER_VERSION into $PREFIX (about 2 minutes, once)…" >&2
rm -f "$PREFIX/.installed"

# @vscode/ripgrep downloads rg from GitHub (unreachable here); it first looks in this cache, so we seed it with Debian's rg.
TMP_BASE="${TMPDIR:-/tmp}"
RG_CACHE="$TMP_BASE/vscode-ripgrep-cache-$RIPGREP_VERSION"
RG_TARBALL="$RG_CACHE/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"
if [[ ! -s "$RG_TARBALL" ]]; then
  mkdir -p "$RG_CACHE"
  tar czf "$RG_TARBALL" -C "$(dirname "$(command -v rg)")" rg
fi

# npm 11 runs a dependency's install scripts only when the project's package.json approves it (allowScripts), also in
# the nested installs code-server's post-install runs in lib/vscode. So: unpack without scripts, approve, then build.
allow_scripts() { # <package.json> <pkg>...
  node -e '
    const fs = require("fs"); const [file, ...pkgs] = process.argv.slice(1);
    const json = JSON.parse(fs.readFileSync(file, "utf8"));
    json.allowScripts = Object.fromEntries(pkgs.map((p) => [p, true]));
    fs.writeFileSync(file, JSON.stringify(json, null, 2) + "\n");' "$@"
}
echo '{ "name": "socket-lab-code-server", "private": true }' > "$PREFIX/package.json"
allow_scripts "$PREFIX/package.json" code-server argon2

# unsafe_perm: its post-install refuses root otherwise; yes: node-pty's post-install runs `npx node-gyp` without a prompt.
export npm_config_unsafe_perm=true npm_config_yes=true npm_config_fund=false npm_config_audit=false
(
  cd "$PREFIX"
  npm install --no-save --no-package-lock --ignore-scripts "code-server@$CODE_SERVER_VERSION" </dev/null >&2
  VSCODE_DIR="$PREFIX/node_modules/code-server/lib/vscode"
  allow_scripts "$VSCODE_DIR/package.json" @parcel/watcher @vscode/ripgrep @vscode/spdlog @vscode/deviceid \
    kerberos native-watchdog node-pty
  [[ -f "$VSCODE_DIR/extensions/package.json" ]] && allow_scripts "$VSCODE_DIR/extensions/package.json"
  npm rebuild argon2 code-server </dev/null >&2
)

if [[ ! -x "$LAUNCHER" ]]; then
  echo "install-code-server: npm finished but $LAUNCHER is missing." >&2
  exit 1
fi
touch "$PREFIX/.installed"
echo "$LAUNCHER"
