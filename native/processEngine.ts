// The dumpcap / tcpdump engines: the installed capture binary writes pcap(ng) to stdout and we parse it.
// Only that small binary needs capture rights (Wireshark's privilege model); no shell is ever involved.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import type { CaptureInterface, EngineStatus, StartRequest } from '../src/shared/captureProtocol';
import { PcapStreamReader } from '../src/core/pcap/pcapStreamReader';
import type { EngineCallbacks, EngineCounters, RunningEngine } from './engines';
import { classifyEngineError, EngineError, findExecutable } from './engines';

export type ProcessEngineName = 'dumpcap' | 'tcpdump';

const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 3_000;
/**
 * dumpcap has no immediate mode: libpcap hands it a ring block when the block fills or its 250 ms timer retires it,
 * and on SIGTERM it exits without reading the ring again. Packets still in an unretired block were then lost and
 * counted by nobody (measured: 509 of 20,000 at 50k/s on lo, "0 dropped"). So a stop waits until its output has been
 * quiet for longer than that timer (at most DUMPCAP_DRAIN_MAX_MS) before signalling it. tcpdump is stopped the same
 * way: on SIGTERM it leaves what is still in the kernel's buffer unread, counted as "received by filter" but neither
 * written nor dropped (seen by an outsider: 20,587 of 60,000 unaccounted at the end of a --duration capture).
 */
const DUMPCAP_QUIET_MS = 350;
const DUMPCAP_DRAIN_MAX_MS = 1_500;
/** A grandchild could hold the pipes open; past this the failure is classified from what stderr said so far. */
const CLOSE_GRACE_MS = 1_000;

export function processStatus(engine: ProcessEngineName): EngineStatus {
  return findExecutable(engine)
    ? { engine, available: true }
    : {
        engine,
        available: false,
        reason:
          engine === 'dumpcap'
            ? 'dumpcap is not installed; install Wireshark (Debian/Ubuntu: apt install wireshark-common or tshark).'
            : 'tcpdump is not installed; install it (Debian/Ubuntu: apt install tcpdump).',
      };
}

/** The argument array for the engine; never passed through a shell. */
export function engineArgs(engine: ProcessEngineName, req: StartRequest): string[] {
  if (engine === 'dumpcap') {
    const mib = Math.max(1, Math.round(req.bufferSize / (1024 * 1024)));
    const args = ['-i', req.interface, '-s', String(req.snaplen), '-B', String(mib), '-w', '-'];
    if (req.filter) args.push('-f', req.filter);
    return args;
  }
  const kib = Math.max(1, Math.round(req.bufferSize / 1024));
  // -U: write each packet as it comes; "--" so a filter can never be read as an option.
  const args = ['-i', req.interface, '-s', String(req.snaplen), '-B', String(kib), '-U', '--immediate-mode', '-n', '-w', '-'];
  if (req.filter) args.push('--', req.filter);
  return args;
}

/** `dumpcap -D` / `tcpdump -D`: "1. eth0", "3.lo [Up, Running, Loopback]", "2.any (Pseudo-device …) [Up]". */
export function parseInterfaceList(text: string): CaptureInterface[] {
  const out: CaptureInterface[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*\d+\.\s*(\S+)(?:\s+\(([^)]*)\))?(?:\s+\[([^\]]*)\])?/.exec(line);
    if (!m) continue;
    const flags = m[3] ?? '';
    out.push({ name: m[1], description: m[2], addresses: [], loopback: /Loopback/i.test(flags) || /Loopback/i.test(m[2] ?? '') });
  }
  return out;
}

export function processInterfaces(engine: ProcessEngineName): CaptureInterface[] | undefined {
  const bin = findExecutable(engine);
  if (!bin) return undefined;
  const r = spawnSync(bin, ['-D'], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return undefined;
  const list = parseInterfaceList(r.stdout);
  return list.length ? list : undefined;
}

/** tcpdump asks libpcap (pcap_stats) at most this often while it runs, by SIGUSR1; it answers with its next packet. */
const POLL_INTERVAL_MS = 1_000;

/**
 * tcpdump's statistics, at exit ("N packets received by filter" / "N packets dropped by kernel" [/ "N packets dropped
 * by interface"], one a line) or after SIGUSR1 (the same on one line). Returns true when the line was one of them.
 */
export function parseTcpdumpStats(line: string, into: EngineCounters): boolean {
  const recv = /(\d+) packets? received by filter/.exec(line);
  const kernel = /(\d+) packets? dropped by kernel/.exec(line);
  const iface = /(\d+) packets? dropped by interface/.exec(line);
  if (recv) into.kernelReceived = Number(recv[1]);
  if (kernel) {
    into.kernelDrops = Number(kernel[1]);
    // tcpdump prints the interface's drops only when there are some.
    into.interfaceDrops = iface ? Number(iface[1]) : (into.interfaceDrops ?? 0);
  } else if (iface) into.interfaceDrops = Number(iface[1]);
  return Boolean(recv || kernel || iface || /^\s*(tcpdump: )?\d+ packets? captured/.test(line));
}

/**
 * dumpcap's closing line, "Packets received/dropped on interface 'lo': 18007/3986 (pcap:3986/dumpcap:0/flushed:0/
 * ps_ifdrop:0) (81.9%)": the kernel's drops (pcap), its own (dumpcap, flushed) and the interface's. The pcapng
 * statistics block says the same and wins; this is the fallback.
 */
export function parseDumpcapStats(line: string, into: EngineCounters): boolean {
  const m = /Packets received\/dropped on interface .*: (\d+)\/(\d+) \(pcap:(\d+)\/dumpcap:(\d+)\/flushed:(\d+)(?:\/ps_ifdrop:(\d+))?\)/.exec(line);
  if (!m) return /^\s*Packets( captured)?: \d+/.test(line);
  into.kernelReceived ??= Number(m[1]);
  into.kernelDrops ??= Number(m[3]);
  into.engineDrops = Number(m[4]) + Number(m[5]);
  into.interfaceDrops ??= m[6] !== undefined ? Number(m[6]) : undefined;
  return true;
}

/**
 * Runs the engine under a small sh watchdog in a process group of its own: the watchdog reads the helper's pipe and
 * stops the engine when it closes, so an engine (often running as root) never outlives a helper killed with -9.
 */
const WATCHDOG = `exec 3<&0
"$@" </dev/null & engine=$!
echo "socket-lab-engine-pid $engine" >&2
{ while read -r _; do :; done <&3; kill -TERM "$engine" 2>/dev/null; } >/dev/null 2>&1 & watcher=$!
wait "$engine"; status=$?
kill "$watcher" 2>/dev/null
exit "$status"`;

function spawnEngine(bin: string, args: string[]) {
  if (process.platform === 'win32') return spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], shell: false });
  return spawn('/bin/sh', ['-c', WATCHDOG, 'socket-lab-engine', bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
}

/** Signals the whole group (watchdog and engine); a group already gone is fine. */
function killEngine(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (process.platform !== 'win32' && child.pid !== undefined) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // already exited
  }
}

export function startProcessEngine(engine: ProcessEngineName, req: StartRequest, cb: EngineCallbacks): Promise<RunningEngine> {
  const bin = findExecutable(engine);
  if (!bin) return Promise.reject(new EngineError({ code: 'ENOENGINE', message: processStatus(engine).reason ?? `${engine} is missing.` }, true));
  const child = spawnEngine(bin, engineArgs(engine, req));
  const kill = (signal: NodeJS.Signals) => killEngine(child, signal);
  const reader = new PcapStreamReader();
  const counters: EngineCounters = {};
  // dumpcap's statistics block (one per interface, written as it stops) is the authority for its counters.
  reader.onInterfaceStatistics = (isb) => {
    if (isb.interfaceId !== 0) return;
    if (isb.ifRecv !== undefined) counters.kernelReceived = isb.ifRecv;
    if (isb.ifDrop !== undefined) counters.kernelDrops = isb.ifDrop;
    if (isb.osDrop !== undefined) counters.interfaceDrops = isb.osDrop;
  };
  let stderr = '';
  let enginePid: number | undefined;
  let listening = false;
  let lastPoll = 0;
  let stderrLine = '';
  const onStderrLine = (line: string): void => {
    const pid = /^socket-lab-engine-pid (\d+)$/.exec(line);
    if (pid) {
      enginePid = Number(pid[1]);
      return;
    }
    if (engine === 'tcpdump' ? parseTcpdumpStats(line, counters) : parseDumpcapStats(line, counters)) return;
    if (/listening on /.test(line)) listening = true;
    if (stderr.length < 64 * 1024) stderr += `${line}\n`;
  };
  let ready = false;
  let stopping = false;
  let exited = false;
  let parseFailed = false;
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  let markReady: () => void = () => {};

  let lastOutput = Date.now();
  child.stdout.on('data', (chunk: Buffer) => {
    lastOutput = Date.now();
    if (parseFailed) return;
    try {
      const records = reader.push(chunk);
      // The file header (pcap) or SHB+IDB (pcapng) arrives once the device is open with its filter.
      if (reader.linkType !== undefined) markReady();
      for (const r of records) cb.onPacket(r.tsMicros, r.origLen, r.linkType, r.data);
    } catch (e) {
      // A stream we cannot parse is a broken engine: stop it and say why.
      parseFailed = true;
      cb.onEnd(`${engine} wrote output that is not pcap`, { code: 'EENGINE', message: `${engine} wrote output that could not be read: ${e instanceof Error ? e.message : String(e)}.` });
      kill('SIGTERM');
    }
  });

  return new Promise<RunningEngine>((resolve, reject) => {
    const running: RunningEngine = {
      engine,
      dropReporting: engine === 'tcpdump' ? 'live' : 'atStop',
      counters: () => ({ ...counters }),
      poll: () => {
        // Only once tcpdump said "listening on": by then it handles SIGUSR1 (before, the signal would kill it).
        if (engine !== 'tcpdump' || !listening || stopping || exited || enginePid === undefined || process.platform === 'win32') return;
        const now = Date.now();
        if (now - lastPoll < POLL_INTERVAL_MS) return;
        lastPoll = now;
        try {
          process.kill(enginePid, 'SIGUSR1');
        } catch {
          // gone already
        }
      },
      stop: async () => {
        if (stopping) return closed;
        stopping = true;
        if (!exited) {
          const until = Date.now() + DUMPCAP_DRAIN_MAX_MS;
          while (!exited && Date.now() < until && Date.now() - lastOutput < DUMPCAP_QUIET_MS) await new Promise((r) => setTimeout(r, 50));
        }
        if (!exited) kill('SIGTERM');
        const timer = setTimeout(() => kill('SIGKILL'), STOP_TIMEOUT_MS);
        await closed;
        clearTimeout(timer);
      },
    };
    const timer = setTimeout(() => {
      if (ready) return;
      kill('SIGKILL');
      reject(new EngineError({ code: 'EENGINE', message: `${engine} did not start capturing within ${READY_TIMEOUT_MS / 1000} s.` }, true));
    }, READY_TIMEOUT_MS);
    markReady = () => {
      if (ready) return;
      ready = true;
      clearTimeout(timer);
      resolve({ ...running, linkType: reader.linkType });
    };
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (s: string) => {
      const lines = (stderrLine + s).split(/\r?\n|\r/);
      stderrLine = lines.pop() ?? '';
      // A line longer than this is not one we parse; keep it as text.
      if (stderrLine.length > 4096) {
        onStderrLine(stderrLine);
        stderrLine = '';
      }
      for (const l of lines) onStderrLine(l);
    });
    child.stderr.on('end', () => {
      if (stderrLine) onStderrLine(stderrLine);
      stderrLine = '';
    });
    child.on('error', (e) => {
      clearTimeout(timer);
      if (!ready) reject(new EngineError({ code: 'EENGINE', message: `${engine} could not be started: ${e.message}.` }, true));
    });
    child.on('exit', (code, signal) => {
      exited = true;
      clearTimeout(timer);
      const why = signal ? `signal ${signal}` : `code ${code}`;
      // 'exit' can come before the child's last stderr chunk (dumpcap says "Capturing on" first): read the reason after 'close'.
      const drained = ready ? closed : Promise.race([closed, new Promise<void>((r) => setTimeout(r, CLOSE_GRACE_MS))]);
      void drained.then(() => {
        if (!ready) {
          const err = classifyEngineError(stderr + stderrLine || `${engine} exited (${why})`, engine, req);
          reject(new EngineError(err, err.code === 'EPERM' || err.code === 'EENGINE'));
          return;
        }
        if (stopping) return;
        const err = code === 0 && !signal ? undefined : classifyEngineError(stderr.replace(/.*(Capturing on|listening on).*\n?/g, '') || `exited (${why})`, engine, req);
        cb.onEnd(`${engine} exited (${why})`, err);
      });
    });
  });
}
