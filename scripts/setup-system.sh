#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages Socket Lab needs, only those missing, and says which.
# Used by scripts/run.sh and scripts/test.sh; safe to run again (does nothing when all are present).
# test/unit/setupSystem.test.ts runs it against stub dpkg-query/apt-cache/apt-get/id/sudo on PATH.
set -euo pipefail

# build-essential python3: node-gyp (cap, code-server's native modules); libkrb5-dev: code-server's kerberos addon;
# libpcap-dev: cap; chromium: e2e browser; ripgrep: code-server's search (its own download is blocked offline);
# tcpdump tshark(dumpcap) socat iproute2 curl: capture engines and tools the lessons and tests use;
# the lint step runs shellcheck on scripts/*.sh; librsvg2-bin: the build renders media/icon.svg with rsvg-convert;
# xxd: the session-log tests read hex logs back with `xxd -r`; strace: `socket-lab trace` of programs that are not Python.
PACKAGES=(build-essential python3 libkrb5-dev libpcap-dev chromium ripgrep tcpdump socat tshark iproute2 curl shellcheck librsvg2-bin xxd strace)

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-system: this script supports Debian and Ubuntu (apt). Install these yourself: ${PACKAGES[*]}" >&2
  exit 1
fi

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

# Whether apt can install a package. The whole output is read first: `apt-cache … | grep -q` under pipefail fails
# whenever grep stops reading early and apt-cache dies of SIGPIPE (which is how this once always chose Ubuntu's name).
has_candidate() {
  local policy
  policy="$(apt-cache policy "$1" 2>/dev/null || true)"
  [[ "$policy" =~ Candidate:\ [0-9] ]]
}

missing=()
for pkg in "${PACKAGES[@]}"; do
  # Ubuntu calls its Chromium package chromium-browser.
  if [[ "$pkg" == chromium ]] && installed chromium-browser; then continue; fi
  installed "$pkg" || missing+=("$pkg")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup-system: all system packages present (${PACKAGES[*]})."
  exit 0
fi

if [[ "$(id -u)" -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "setup-system: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]}"
# tshark asks whether non-root users may capture; answer "no" up front so nothing waits for a keyboard.
echo "wireshark-common wireshark-common/install-setuid boolean false" | "${SUDO[@]}" debconf-set-selections
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
for i in "${!missing[@]}"; do
  if [[ "${missing[$i]}" == chromium ]] && ! has_candidate chromium && has_candidate chromium-browser; then
    missing[i]=chromium-browser
  fi
done
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" </dev/null
echo "setup-system: done."
