// A session's transcript (all its chunks or chosen ones) written to a file in a session log's formats, through the
// same LogEncoder as a live log (sessionLog.ts). It streams: one chunk's record at a time, waiting for the disk, so
// a transcript of any size never becomes one string. A file the user already has is replaced only when asked
// (`overwrite`, after VS Code's save dialog confirmed it), and then only once the export is whole: it is written
// beside it under a temporary name and renamed over it at the end. What failed leaves no partial file behind.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SocketLabError } from '../errors';
import type { SessionEvent } from './session';
import { LogEncoder, type LogEncoderOptions, type LogFormat, type LoggedSession } from './sessionLog';
import type { Transcript } from './transcript';

/** What an export reads of a session (a Session is one). */
export interface ExportedSession extends LoggedSession {
  readonly transcript: Transcript;
  readonly events: readonly SessionEvent[];
}

export interface ExportOptions extends LogEncoderOptions {
  format: LogFormat;
  /** Chunk numbers (seq) to write, in any order; without, every chunk the transcript holds. */
  chunks?: readonly number[];
  /** Replace an existing file (its owner confirmed it); without, an existing file is refused. */
  overwrite?: boolean;
  /** Payload bytes written so far, of `total`. */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface ExportResult {
  /** Chunks written, and their payload bytes. */
  chunks: number;
  bytes: number;
  /** The file's size. */
  fileBytes: number;
  /** Chosen chunks the transcript no longer held (dropped by its budget before or during the export). */
  missing: number;
}

/**
 * Each format's usual file extensions, offered by the export's save dialog beside "All files": the dialog never adds
 * one to the name the user typed (VS Code's own dialog appends the first filter's extension to a name that matches
 * none of the filters, which made `导出.txt` into `导出.txt.log`).
 */
export const exportExtensions: Readonly<Record<LogFormat, readonly string[]>> = { text: ['txt', 'log'], hex: ['hex', 'txt'], jsonl: ['jsonl'], pcapng: ['pcapng'] };

/** Records are gathered up to this size before a write, so a transcript of tiny chunks is not a write per chunk. */
const BATCH = 256 * 1024;

export class ExportCancelled extends Error {
  constructor() {
    super('export cancelled');
  }
}

/** The chunk numbers to write, ascending: the chosen ones (each once), else all held when the export starts. */
function chunkSeqs(t: Transcript, chosen: readonly number[] | undefined): Iterable<number> {
  const first = t.firstSeq;
  const end = t.nextSeq;
  if (chosen) return [...new Set(chosen)].filter((n) => Number.isInteger(n) && n >= 0 && n < end).sort((a, b) => a - b);
  return {
    *[Symbol.iterator]() {
      for (let n = first; n < end; n++) yield n;
    },
  };
}

/** Bytes each way before chunk `seq` among the held chunks (pcapng's sequence numbers of an export that starts late). */
function bytesBefore(t: Transcript, seq: number): { in: number; out: number } {
  const before = { in: 0, out: 0 };
  for (let from = t.firstSeq; from < seq; ) {
    const page = t.chunks(from, Math.min(1000, seq - from));
    if (!page.length) break;
    for (const c of page) before[c.dir] += c.length;
    from = page[page.length - 1].seq + 1;
  }
  return before;
}

function writeError(file: string, e: NodeJS.ErrnoException, written: number): SocketLabError {
  const code = e.code;
  if (code === 'EEXIST') return new SocketLabError('EXPORT_EXISTS', { path: file });
  if (code === 'ENOENT') return new SocketLabError('EXPORT_FOLDER', { path: file });
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') return new SocketLabError('EXPORT_DENIED', { path: file });
  if (code === 'ENOSPC' || code === 'EDQUOT') return new SocketLabError('EXPORT_FULL', { path: file, bytes: written });
  return new SocketLabError('EXPORT_WRITE', { path: file, detail: code ?? e.message });
}

/** A write stream on a new file that is waited on: `write` resolves once the disk takes more, `close` once all is on it. */
class FileSink {
  private failed?: NodeJS.ErrnoException;
  private constructor(private readonly stream: fs.WriteStream) {
    stream.on('error', (e: NodeJS.ErrnoException) => (this.failed ??= e));
  }

  static async create(file: string): Promise<FileSink> {
    const fd = await new Promise<number>((resolve, reject) => fs.open(file, 'wx', (e, n) => (e ? reject(e) : resolve(n))));
    return new FileSink(fs.createWriteStream('', { fd, autoClose: true, highWaterMark: BATCH }));
  }

  get written(): number {
    return this.stream.bytesWritten;
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.stream.write(bytes)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        this.stream.off('close', done);
        resolve();
      };
      this.stream.on('drain', done).on('error', done).on('close', done);
    });
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    if (this.failed) throw this.failed;
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failed) throw this.failed;
  }

  destroy(): Promise<void> {
    return new Promise((resolve) => {
      if (this.stream.closed) return resolve();
      this.stream.once('close', () => resolve());
      this.stream.destroy();
    });
  }
}

/** Writes the records of `s` into `sink`: events between the chunks they came between, the chunks in order. */
async function writeRecords(s: ExportedSession, sink: FileSink, enc: LogEncoder, opts: ExportOptions, result: ExportResult): Promise<void> {
  const t = s.transcript;
  const seqs = chunkSeqs(t, opts.chunks);
  const list = Array.isArray(seqs) ? (seqs as number[]) : undefined;
  const total = list ? list.reduce((n, q) => n + (t.chunkData(q)?.length ?? 0), 0) : t.endOffset - t.startOffset;
  const firstSeq = list ? (list[0] ?? 0) : t.firstSeq;
  const lastSeq = list ? (list[list.length - 1] ?? -1) : t.nextSeq - 1;
  // a whole export keeps every event; chosen chunks keep the events that came between them
  const events = s.events.filter((e) => !list || (e.seq > firstSeq && e.seq <= lastSeq));
  const before = firstSeq > 0 ? bytesBefore(t, firstSeq) : undefined;
  let ev = 0;
  let batch: Uint8Array[] = [];
  let batched = 0;
  const put = async (b: Uint8Array) => {
    if (!b.length) return;
    batch.push(b);
    batched += b.length;
    if (batched < BATCH) return;
    await flush();
  };
  const flush = async () => {
    if (!batch.length) return;
    const out = batch.length === 1 ? batch[0] : Buffer.concat(batch);
    batch = [];
    batched = 0;
    await sink.write(out);
    if (opts.signal?.aborted) throw new ExportCancelled();
    opts.onProgress?.(result.bytes, total);
  };
  await put(enc.header());
  for (const seq of seqs) {
    for (; ev < events.length && events[ev].seq <= seq; ev++) await put(enc.event(s, events[ev]));
    const data = t.chunkData(seq);
    const meta = data && t.chunks(seq, 1)[0];
    if (!data || !meta) {
      result.missing++;
      continue;
    }
    await put(enc.chunk(s, meta, data, before));
    result.chunks++;
    result.bytes += data.length;
  }
  for (; ev < events.length; ev++) await put(enc.event(s, events[ev]));
  await flush();
  opts.onProgress?.(result.bytes, total);
}

/**
 * Writes `s`'s transcript (or its chunks `opts.chunks`) to `file` in `opts.format`. Throws a SocketLabError whose
 * message is the one sentence to show (EXPORT_EXISTS, EXPORT_FULL …; LOG_PCAPNG_UNIX), or ExportCancelled when
 * `opts.signal` aborted it; either way no partial file is left and a file that was there is as it was.
 */
export async function exportTranscript(s: ExportedSession, file: string, opts: ExportOptions): Promise<ExportResult> {
  const enc = new LogEncoder(opts.format, opts);
  enc.check(s);
  // replacing: written beside the file, then renamed over it, so a failure leaves the old file whole
  const target = opts.overwrite ? path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${Date.now()}.part`) : file;
  let sink: FileSink;
  try {
    sink = await FileSink.create(target);
  } catch (e) {
    throw writeError(file, e as NodeJS.ErrnoException, 0);
  }
  const result: ExportResult = { chunks: 0, bytes: 0, fileBytes: 0, missing: 0 };
  try {
    await writeRecords(s, sink, enc, opts, result);
    await sink.close();
    result.fileBytes = sink.written;
    if (target !== file) await fs.promises.rename(target, file);
    return result;
  } catch (e) {
    await sink.destroy();
    await fs.promises.rm(target, { force: true }); // the file this export made, never one that was there
    if (e instanceof ExportCancelled) throw e;
    throw writeError(file, e as NodeJS.ErrnoException, sink.written);
  }
}
