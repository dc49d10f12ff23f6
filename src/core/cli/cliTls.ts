// The TLS options of `listen tls` and `send tls`: certificates, trust, SNI, ALPN and the key log (--keylog F, or the
// SSLKEYLOGFILE environment variable as browsers and curl honour it).
import * as fs from 'node:fs';
import type { TlsSummary } from '../../shared/tlsSummary';
import type { SessionManager } from '../sessions/sessionManager';
import { summaryLines } from '../tls/tlsInfo';
import { type CliIo, UsageError } from './cliIo';
import { checkWsTls, isWs } from './cliWs';

export const tlsOptionSpecs = {
  cert: { type: 'string' },
  key: { type: 'string' },
  ca: { type: 'string' },
  servername: { type: 'string' },
  insecure: { type: 'boolean', default: false },
  alpn: { type: 'string' },
  keylog: { type: 'string' },
} as const;

export const listenTlsUsage = `  --cert F --key F     tls: the server's PEM certificate (chain) and private key; without them a self-signed
                       certificate for localhost, 127.0.0.1 and ::1 is made once and kept in ~/.cache/socket-lab
  --alpn P1,P2         tls: application protocols offered (ALPN)
  --keylog F           tls: append the session secrets to F (SSLKEYLOGFILE format, for Wireshark); the
                       SSLKEYLOGFILE environment variable does the same. Anyone with F can decrypt the traffic
`;
export const sendTlsUsage = `  --ca F               tls: trust the PEM certificates in F (e.g. a Socket Lab server's own) instead of the system's
  --servername N       tls: the name asked for (SNI) and checked against the certificate (default: the host)
  --insecure           tls: go on when the server's certificate is not trusted (the reason is still printed)
  --alpn P1,P2         tls: application protocols asked for (ALPN)
  --keylog F           tls: append the session secrets to F (SSLKEYLOGFILE format, for Wireshark); the
                       SSLKEYLOGFILE environment variable does the same. Anyone with F can decrypt the traffic
`;

type TlsValues = { cert?: string; key?: string; ca?: string; servername?: string; insecure?: boolean; alpn?: string; keylog?: string };

function readPem(flag: string, file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`cannot read ${flag} ${file} (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

export interface CliTls {
  cert?: string;
  key?: string;
  ca?: string;
  servername?: string;
  insecure: boolean;
  alpn?: string[];
  keylog?: string;
}

/** The TLS options, checked against the protocol and the verb; undefined for tcp, udp and unix (which take none). */
export function parseTlsArgs(verb: 'listen' | 'send', proto: string, v: TlsValues): CliTls | undefined {
  const given = (Object.keys(tlsOptionSpecs) as (keyof TlsValues)[]).filter((k) => v[k] !== undefined && v[k] !== false);
  if (isWs(proto)) {
    checkWsTls(verb, proto, given); // wss: the certificate (listen) or the trust (send); no key log
    if (proto === 'ws') return undefined;
  } else if (proto !== 'tls') {
    if (given.length) throw new UsageError(`--${given[0]} applies to tls only`);
    return undefined;
  }
  const wrong = given.filter((k) => (verb === 'listen' ? ['ca', 'servername', 'insecure'] : ['cert', 'key']).includes(k));
  if (wrong.length) throw new UsageError(`--${wrong[0]} applies to ${verb === 'listen' ? 'send' : 'listen'} tls`);
  if ((v.cert === undefined) !== (v.key === undefined)) throw new UsageError('--cert and --key go together (or leave both out for a self-signed certificate)');
  return {
    cert: v.cert === undefined ? undefined : readPem('--cert', v.cert),
    key: v.key === undefined ? undefined : readPem('--key', v.key),
    ca: v.ca === undefined ? undefined : readPem('--ca', v.ca),
    servername: v.servername,
    insecure: v.insecure ?? false,
    alpn: v.alpn?.split(',').map((p) => p.trim()).filter(Boolean),
    keylog: proto === 'tls' ? v.keylog || process.env.SSLKEYLOGFILE || undefined : undefined,
  };
}

/** Starts the key log, saying so on stderr (secrets in a file deserve a line). */
export function startKeyLog(verb: string, tls: CliTls, manager: SessionManager, io: CliIo): void {
  if (!tls.keylog) return;
  manager.setKeyLogFile(tls.keylog);
  io.err(`socket-lab ${verb}: writing TLS secrets to ${tls.keylog} (anyone with this file can decrypt the traffic)\n`);
}

/** The handshake, for stderr: one line per fact, indented under what it belongs to. */
export function tlsReport(prefix: string, s: TlsSummary): string {
  return summaryLines(s).map((l) => `${prefix}${l}\n`).join('');
}
