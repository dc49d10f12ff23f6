// `--log F [--log-format …] [--log-timestamps …]`, shared by `listen` and `send`: the session's traffic written to F
// while the verb runs (core/sessions/sessionLog.ts).
import { LogEncoder, type LogFormat, logFormats, SessionLog, type TimestampStyle, timestampStyles } from '../sessions/sessionLog';
import type { Session } from '../sessions/session';
import type { SessionManager } from '../sessions/sessionManager';
import { type CliIo, describe, UsageError } from './cliIo';

export const logOptionSpecs = {
  log: { type: 'string' },
  'log-format': { type: 'string' },
  'log-timestamps': { type: 'string', default: 'absolute' },
} as const;

export const logUsage = `  --log F              also write the traffic to the file F (a new file: an existing one is never overwritten)
  --log-format X       text, hex (xxd -r reads it back), jsonl or pcapng (Wireshark opens it); default from F's
                       extension (.hex .jsonl .pcapng), else text
  --log-timestamps T   absolute (default), relative (to the first record) or delta (to the previous one)
`;

export interface LogRequest {
  file: string;
  format: LogFormat;
  timestamps: TimestampStyle;
}

/** The log options, checked; undefined without --log. */
export function parseLogArgs(values: { log?: string; 'log-format'?: string; 'log-timestamps'?: string }): LogRequest | undefined {
  if (values['log-format'] !== undefined && values.log === undefined) throw new UsageError('--log-format needs --log FILE');
  if (values.log === undefined) return undefined;
  if (values.log === '') throw new UsageError('--log needs a file name');
  const ext = /\.(hex|jsonl|pcapng)$/i.exec(values.log)?.[1].toLowerCase();
  const format = values['log-format'] ?? ext ?? 'text';
  if (!(logFormats as readonly string[]).includes(format)) throw new UsageError(`--log-format wants text, hex, jsonl or pcapng, got "${format}"`);
  const timestamps = values['log-timestamps'] ?? 'absolute';
  if (!(timestampStyles as readonly string[]).includes(timestamps)) throw new UsageError(`--log-timestamps wants absolute, relative or delta, got "${timestamps}"`);
  return { file: values.log, format: format as LogFormat, timestamps: timestamps as TimestampStyle };
}

/** Starts the log of `session` (and what it accepts); a failure mid-run is said on stderr and the verb goes on. */
export async function startCliLog(verb: string, req: LogRequest, manager: SessionManager, session: Session, io: CliIo): Promise<SessionLog> {
  new LogEncoder(req.format).check(session); // before the file is made
  const log = await SessionLog.open(req.file, { format: req.format, timestamps: req.timestamps, encoding: session.encoding });
  log.onDidStop((e) => {
    if (e) io.err(`socket-lab ${verb}: ${describe(e).message}\n`);
  });
  log.follow(manager, session);
  return log;
}
