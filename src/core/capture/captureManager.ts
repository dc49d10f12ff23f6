// Owns every capture: spawns the helper lazily, routes its packets into bounded per-capture lists,
// notices when it dies, and exports captures as pcap/pcapng. No vscode here.
import * as fs from 'node:fs';
import type {
  CaptureEngine,
  CaptureEngineChoice,
  CaptureError,
  CaptureErrorCode,
  CaptureInterface,
  CaptureStats,
  DropReporting,
  EngineStatus,
  HelperEvent,
  PacketBatch,
} from '../../shared/captureProtocol';
import { CaptureLimits, checkStartRequest, totalDrops } from '../../shared/captureProtocol';
import { Disposable, Emitter } from '../../shared/disposable';
import type { PacketRecord } from '../../shared/packet';
import { RpcError } from '../../shared/rpc';
import type { HelperExit, HelperLaunch } from './helperProcess';
import { HelperProcess } from './helperProcess';
import { PacketRing } from './packetRing';
import { encodeCaptureFile, type CaptureFileFormat, type ConnectionFilter, packetMatchesConnection } from './captureExport';

export type CaptureState = 'starting' | 'running' | 'stopping' | 'stopped';

/** A capture failure with a code and one sentence saying the fix. */
export class CaptureStartError extends Error {
  constructor(
    readonly code: CaptureErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface StartCaptureOptions {
  readonly interface: string;
  readonly filter?: string;
  readonly snaplen?: number;
  readonly bufferSize?: number;
  readonly engine?: CaptureEngineChoice;
  /** What the capture is for, e.g. "127.0.0.1:8000 ⇄ 127.0.0.1:51234". */
  readonly label?: string;
  /** Set by "capture this connection": the session whose traffic this is. */
  readonly sessionId?: string;
  readonly connection?: ConnectionFilter;
}

export interface PacketsAdded {
  readonly capture: Capture;
  /** Capture-wide index of the first new packet (see PacketRing). */
  readonly from: number;
  readonly count: number;
}

export class Capture extends Disposable {
  /** Bounded: once full the oldest packets are forgotten (counted in `evicted`). */
  readonly packets: PacketRing;
  engine: CaptureEngine | undefined;
  linkType: number | undefined;
  /** Why it stopped: "stopped", "helper exited (signal SIGKILL)", "dumpcap exited (code 1)". */
  stopReason: string | undefined;
  error: CaptureError | undefined;
  /** Packets the engine saw (as the helper last reported). */
  received = 0;
  /** Packets the helper dropped because we could not keep up. */
  helperDrops = 0;
  /** How the engine reports the kernel's drops (undefined until the helper said). */
  dropReporting: DropReporting | undefined;
  /** The engine's own counters (libpcap's pcap_stats through tcpdump or dumpcap); undefined = not told. */
  kernelReceived: number | undefined;
  kernelDrops: number | undefined;
  interfaceDrops: number | undefined;
  engineDrops: number | undefined;
  readonly startedAt = Date.now();
  stoppedAt: number | undefined;
  private _state: CaptureState = 'starting';
  private readonly _onDidChange = this.own(new Emitter<Capture>());
  private readonly _onDidAddPackets = this.own(new Emitter<PacketsAdded>());
  /** State, engine or counters changed (not fired per packet). */
  readonly onDidChange = this._onDidChange.event;
  /** New packets were appended; fired once per batch from the helper. */
  readonly onDidAddPackets = this._onDidAddPackets.event;

  constructor(
    readonly id: string,
    readonly helperId: number,
    readonly options: Required<Pick<StartCaptureOptions, 'interface' | 'filter' | 'snaplen' | 'bufferSize' | 'engine'>> & StartCaptureOptions,
    readonly maxPackets: number,
    private readonly stopper: (c: Capture) => Promise<void>,
  ) {
    super();
    this.packets = new PacketRing(maxPackets);
  }

  get interface(): string {
    return this.options.interface;
  }
  get filter(): string {
    return this.options.filter;
  }
  get label(): string | undefined {
    return this.options.label;
  }
  get sessionId(): string | undefined {
    return this.options.sessionId;
  }
  get state(): CaptureState {
    return this._state;
  }
  /** Every packet reported lost before reaching us: by the kernel, the interface, the engine and the helper. */
  get drops(): number {
    return totalDrops({ dropped: this.helperDrops, kernelDrops: this.kernelDrops, interfaceDrops: this.interfaceDrops, engineDrops: this.engineDrops });
  }
  /**
   * Whether `drops` is the whole count: `known` (the engine reported the kernel's drops), `pending` (dumpcap tells
   * them when it stops), `unknown` (cap cannot tell; a stopped engine that never said). Never show 0 unless known.
   */
  get dropStatus(): 'known' | 'pending' | 'unknown' {
    if (this.kernelDrops !== undefined) return 'known';
    if (this._state !== 'stopped' && (this.dropReporting === 'atStop' || this.dropReporting === 'live' || this.dropReporting === undefined)) return 'pending';
    return 'unknown';
  }
  /** Packets received but since forgotten because the ring was full. */
  get evicted(): number {
    return this.packets.evicted;
  }
  /** "running", or "stopped: helper exited (signal SIGKILL)". */
  get stateText(): string {
    if (this._state !== 'stopped') return this._state;
    return this.stopReason && this.stopReason !== 'stopped' ? `stopped: ${this.stopReason}` : 'stopped';
  }

  stop(): Promise<void> {
    return this.stopper(this);
  }

  /** @internal */
  setState(state: CaptureState, reason?: string, error?: CaptureError): void {
    if (this._state === 'stopped') return;
    this._state = state;
    if (state === 'stopped') {
      this.stopReason = reason ?? 'stopped';
      this.error = error;
      this.stoppedAt = Date.now();
    }
    this._onDidChange.fire(this);
  }

  /** @internal */
  addPackets(records: readonly PacketRecord[]): void {
    if (records.length === 0) return;
    const from = this.packets.endIndex;
    for (const r of records) this.packets.push(r);
    this._onDidAddPackets.fire({ capture: this, from, count: records.length });
    this._onDidChange.fire(this);
  }

  /** @internal */
  setHelperStats(s: CaptureStats): void {
    const next = {
      received: s.received,
      helperDrops: s.dropped,
      dropReporting: s.dropReporting ?? this.dropReporting,
      kernelReceived: s.kernelReceived ?? this.kernelReceived,
      kernelDrops: s.kernelDrops ?? this.kernelDrops,
      interfaceDrops: s.interfaceDrops ?? this.interfaceDrops,
      engineDrops: s.engineDrops ?? this.engineDrops,
    };
    if ((Object.keys(next) as (keyof typeof next)[]).every((k) => next[k] === this[k])) return;
    Object.assign(this, next);
    this._onDidChange.fire(this);
  }
}

export interface CaptureManagerOptions {
  /** How to run the helper; read at each (re)start so a changed setting applies to the next helper. */
  readonly launch: () => HelperLaunch;
  /** Tried when `launch()` cannot be spawned (e.g. no `node` on PATH): the extension host's own runtime. */
  readonly fallbackLaunch?: () => HelperLaunch | undefined;
  readonly maxPacketsPerCapture?: number;
  readonly defaultEngine?: () => CaptureEngineChoice;
  readonly log?: (line: string) => void;
}

export class CaptureManager extends Disposable {
  private helper: HelperProcess | undefined;
  private helperStarting: Promise<HelperProcess> | undefined;
  private engineStatus: readonly EngineStatus[] = [];
  private readonly captures = new Map<string, Capture>();
  private readonly byHelperId = new Map<number, Capture>();
  private nextId = 1;
  private readonly _onDidChange = this.own(new Emitter<Capture | undefined>());
  /** A capture was added, removed or changed; listeners should coalesce. */
  readonly onDidChange = this._onDidChange.event;

  constructor(private readonly options: CaptureManagerOptions) {
    super();
  }

  get(id: string): Capture | undefined {
    return this.captures.get(id);
  }

  all(): Capture[] {
    return [...this.captures.values()];
  }

  /** Engines the current helper found (empty until a helper ran). */
  get engines(): readonly EngineStatus[] {
    return this.engineStatus;
  }

  /** The running helper's pid, if any (tests kill it to prove the extension survives). */
  get helperPid(): number | undefined {
    return this.helper && !this.helper.hasExited ? this.helper.pid : undefined;
  }

  async listInterfaces(): Promise<CaptureInterface[]> {
    const helper = await this.ensureHelper();
    const r = await this.ask(() => helper.request({ type: 'listInterfaces' }));
    if (!r.ok) throw new CaptureStartError(r.error.code, r.error.message);
    return [...r.interfaces];
  }

  async start(opts: StartCaptureOptions): Promise<Capture> {
    if (this.isDisposed) throw new CaptureStartError('EHELPER', 'Socket Lab is shutting down.');
    const full = {
      ...opts,
      interface: opts.interface,
      filter: (opts.filter ?? '').trim(),
      snaplen: opts.snaplen ?? CaptureLimits.defaultSnaplen,
      bufferSize: opts.bufferSize ?? CaptureLimits.defaultBufferSize,
      engine: opts.engine ?? this.options.defaultEngine?.() ?? 'auto',
    };
    const helperId = this.nextId++;
    const bad = checkStartRequest({ type: 'start', captureId: helperId, ...full }, undefined);
    if (bad) throw new CaptureStartError(bad.code, bad.message);
    const helper = await this.ensureHelper();
    const capture = new Capture(`capture-${helperId}`, helperId, full, this.options.maxPacketsPerCapture ?? 200_000, (c) => this.stop(c.id));
    capture.onDidChange(() => this._onDidChange.fire(capture));
    this.captures.set(capture.id, capture);
    this.byHelperId.set(helperId, capture);
    this._onDidChange.fire(capture);
    let reply;
    try {
      reply = await this.ask(() =>
        helper.request({ type: 'start', captureId: helperId, interface: full.interface, filter: full.filter, snaplen: full.snaplen, bufferSize: full.bufferSize, engine: full.engine }, 30_000),
      );
    } catch (e) {
      this.forget(capture);
      throw e;
    }
    if (!reply.ok) {
      this.forget(capture);
      throw new CaptureStartError(reply.error.code, reply.error.message);
    }
    capture.engine = reply.engine;
    capture.linkType = reply.linkType;
    // The helper may have died while we waited.
    if (helper.hasExited) capture.setState('stopped', (await helper.exited).reason);
    else capture.setState('running');
    return capture;
  }

  async stop(id: string): Promise<void> {
    const c = this.captures.get(id);
    if (!c || c.state === 'stopped' || c.state === 'stopping') return;
    const helper = this.helper;
    if (!helper || helper.hasExited) {
      c.setState('stopped');
      return;
    }
    c.setState('stopping');
    try {
      const r = await helper.request({ type: 'stop', captureId: c.helperId });
      if (r.ok) c.setHelperStats(r.stats);
      c.setState('stopped', 'stopped');
    } catch {
      // The helper died meanwhile; its exit handler has already said so.
      c.setState('stopped', 'stopped');
    }
  }

  /** Removes a capture and its packets (stopping it first). */
  async remove(id: string): Promise<void> {
    const c = this.captures.get(id);
    if (!c) return;
    await this.stop(id);
    this.forget(c);
  }

  /** Writes a capture (or only one connection's packets) as pcapng or pcap; returns the packet count written. */
  async save(captureId: string, path: string, format: CaptureFileFormat = 'pcapng', filterToConnection?: ConnectionFilter): Promise<number> {
    const c = this.captures.get(captureId);
    if (!c) throw new CaptureStartError('ENOCAPTURE', `There is no capture "${captureId}".`);
    const all = c.packets.toArray();
    const packets = filterToConnection ? all.filter((p) => packetMatchesConnection(p, filterToConnection)) : all;
    const bytes = encodeCaptureFile(packets, format, { linkType: c.linkType, interfaceName: c.interface, snaplen: c.options.snaplen });
    await fs.promises.writeFile(path, bytes);
    return packets.length;
  }

  override dispose(): void {
    if (this.isDisposed) return;
    for (const c of this.captures.values()) {
      c.setState('stopped');
      c.dispose();
    }
    this.captures.clear();
    this.byHelperId.clear();
    this.helper?.dispose();
    this.helper = undefined;
    super.dispose();
  }

  private forget(c: Capture): void {
    this.captures.delete(c.id);
    this.byHelperId.delete(c.helperId);
    c.dispose();
    this._onDidChange.fire(undefined);
  }

  /** Maps channel failures (helper died mid-request) to a coded error. */
  private async ask<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      if (e instanceof RpcError) {
        const exit = this.helper?.hasExited ? await this.helper.exited : undefined;
        const why = exit ? exit.reason : e.code === 'timeout' ? 'the capture helper did not answer in time' : e.message;
        throw new CaptureStartError('EHELPER', `The capture helper failed (${why}); try again — a new helper will be started.`);
      }
      throw e;
    }
  }

  private ensureHelper(): Promise<HelperProcess> {
    if (this.helper && !this.helper.hasExited) return Promise.resolve(this.helper);
    this.helperStarting ??= this.spawnHelper().finally(() => (this.helperStarting = undefined));
    return this.helperStarting;
  }

  private async spawnHelper(): Promise<HelperProcess> {
    const launch = this.options.launch();
    let helper = this.launch(launch);
    let hello = await this.hello(helper);
    if (!hello) {
      const fallback = this.options.fallbackLaunch?.();
      if (helper.startError && fallback) {
        this.log(`capture helper: "${launch.nodePath}" could not start (${helper.startError.message}); trying ${fallback.nodePath}`);
        helper.dispose();
        helper = this.launch(fallback);
        hello = await this.hello(helper);
      }
      if (!hello) {
        const exit = helper.hasExited ? await helper.exited : undefined;
        helper.dispose();
        throw new CaptureStartError(
          'EHELPER',
          `The capture helper could not start with "${launch.nodePath}"${exit ? ` (${exit.reason})` : ''}; set socketLab.capture.nodePath to a Node.js 20 or newer executable.`,
        );
      }
    }
    this.engineStatus = hello.engines;
    this.helper = helper;
    this.log(`capture helper ${helper.pid} started (node ${hello.node}); engines: ${hello.engines.map((e) => `${e.engine}${e.available ? '' : ' (unavailable)'}`).join(', ')}`);
    return helper;
  }

  private launch(launch: HelperLaunch): HelperProcess {
    const helper = new HelperProcess(launch, (l) => this.log(l));
    helper.onDidReceivePackets((b) => this.onPackets(b));
    helper.onDidReceiveEvent((e) => this.onHelperEvent(e));
    helper.onDidExit((exit) => this.onHelperExit(helper, exit));
    return helper;
  }

  private async hello(helper: HelperProcess) {
    try {
      return await Promise.race([helper.request({ type: 'hello' }, 15_000), helper.exited.then(() => undefined)]);
    } catch {
      return undefined;
    }
  }

  private onPackets(b: PacketBatch): void {
    this.byHelperId.get(b.captureId)?.addPackets(b.records);
  }

  private onHelperEvent(e: HelperEvent): void {
    const c = this.byHelperId.get(e.captureId);
    if (!c) return;
    if (e.type === 'stats') c.setHelperStats(e);
    else {
      c.setHelperStats(e.stats);
      c.setState('stopped', e.reason, e.error);
    }
  }

  private onHelperExit(helper: HelperProcess, exit: HelperExit): void {
    if (this.helper === helper) this.helper = undefined;
    this.log(`capture helper ${helper.pid ?? ''} ${exit.reason}`);
    for (const c of this.captures.values()) {
      if (c.state !== 'stopped') c.setState('stopped', exit.reason, { code: 'EHELPER', message: `The capture helper stopped unexpectedly (${exit.reason}); start the capture again.` });
    }
    helper.dispose();
  }

  private log(line: string): void {
    this.options.log?.(line);
  }
}
