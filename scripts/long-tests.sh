#!/usr/bin/env bash
# The long hardening variants (1,000 × 1 MiB echo, 10,000 connections, 1 GiB sink, 50,000-datagram flood,
# ten times the fuzz inputs). Loopback only; each test bounds itself in count and time.
# Figures print as "[figure] …" lines; copy them into docs/reliability.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# 1,000 concurrent clients need ~2,000 descriptors in this one process (client and server ends)
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 8192 ]; then ulimit -n 8192 || { echo "long-tests: cannot raise the open-file limit to 8192 (ulimit -n)" >&2; exit 2; }; fi
export SOCKET_LAB_LONG=1
log="${TMPDIR:-/tmp}/socket-lab-long-tests.log"
timeout 1800 npx mocha --no-config --node-option import=tsx --timeout 900000 --reporter spec \
  test/unit/hardening.load.test.ts test/unit/hardening.faults.test.ts test/unit/hardening.fuzz.test.ts \
  test/unit/hardening.netns.test.ts test/unit/hardening.security.test.ts test/unit/hardening.tree.test.ts test/unit/soak.test.ts 2>&1 | tee "$log"
echo "log: $log"
