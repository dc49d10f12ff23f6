// A TLS socket's handshake as Socket Lab shows it (shared/tlsSummary.ts), and a failed verification as one sentence.
import { X509Certificate } from 'node:crypto';
import type * as tls from 'node:tls';
import type { TlsCertificateInfo, TlsSummary } from '../../shared/tlsSummary';
import { formatAddress, SocketLabError } from '../errors';

/** "C=US\nCN=x" (Node's form) as "C=US, CN=x". */
const dn = (s: string): string => s.split('\n').filter(Boolean).join(', ');

/** SANs shown per certificate: a CDN's certificate can list hundreds; the rest are counted. */
export const SANS_SHOWN = 50;

export function certificateInfo(x: X509Certificate): TlsCertificateInfo {
  const sans = (x.subjectAltName ?? '').split(/,\s*/).filter(Boolean);
  const date = (d: string) => {
    const t = new Date(d);
    return Number.isNaN(t.getTime()) ? d.slice(0, 40) : t.toISOString();
  };
  return {
    subject: dn(x.subject).slice(0, 1000),
    issuer: dn(x.issuer).slice(0, 1000),
    validFrom: date(x.validFrom),
    validTo: date(x.validTo),
    sans: sans.length > SANS_SHOWN ? [...sans.slice(0, SANS_SHOWN).map((s) => s.slice(0, 250)), `(+${sans.length - SANS_SHOWN} more)`] : sans.map((s) => s.slice(0, 250)),
    sha256: x.fingerprint256,
  };
}

/** The peer's chain as it arrived, its own certificate first (at most 10: a chain is short). */
function peerChain(socket: tls.TLSSocket): TlsCertificateInfo[] {
  const out: TlsCertificateInfo[] = [];
  let x: X509Certificate | undefined = socket.getPeerX509Certificate();
  const seen = new Set<string>();
  while (x && out.length < 10 && !seen.has(x.fingerprint256)) {
    seen.add(x.fingerprint256);
    out.push(certificateInfo(x));
    x = x.issuerCertificate;
  }
  return out;
}

/** Node's and OpenSSL's verification codes, by the sentence that explains them. */
const verifyKeys: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS_SELF_SIGNED',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS_SELF_SIGNED',
  CERT_HAS_EXPIRED: 'TLS_EXPIRED',
  CERT_NOT_YET_VALID: 'TLS_NOT_YET_VALID',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS_NAME_MISMATCH',
  HOSTNAME_MISMATCH: 'TLS_NAME_MISMATCH',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS_UNKNOWN_CA',
  UNABLE_TO_GET_ISSUER_CERT: 'TLS_UNKNOWN_CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS_UNKNOWN_CA',
};

/** Why a client did not trust the server's chain, as a SocketLabError whose code is OpenSSL's (or Node's). */
export function verificationError(code: string, chain: readonly TlsCertificateInfo[], ctx: { host?: string; port?: number; name?: string }): SocketLabError {
  const leaf = chain[0];
  const sans = leaf?.sans.map((s) => s.replace(/^(DNS|IP Address):/, '')).join(', ') || leaf?.subject || '?';
  return new SocketLabError(code, {
    addr: formatAddress(ctx.host, ctx.port),
    subject: leaf?.subject ?? '?',
    issuer: leaf?.issuer ?? '?',
    validFrom: leaf?.validFrom.slice(0, 10) ?? '?',
    validTo: leaf?.validTo.slice(0, 10) ?? '?',
    name: ctx.name ?? ctx.host ?? '',
    sans,
    detail: code,
  }, verifyKeys[code] ?? 'TLS_VERIFY');
}

/** What the handshake on `socket` settled; for a client also whether (and why not) the server was trusted. */
export function describeTls(socket: tls.TLSSocket, role: 'client' | 'server', ctx: { host?: string; port?: number; name?: string; sni?: string } = {}): TlsSummary {
  const chain = peerChain(socket);
  const local = role === 'server' ? socket.getX509Certificate() : undefined;
  const alpn = socket.alpnProtocol;
  const sni = role === 'server' ? (socket as tls.TLSSocket & { servername?: string | false }).servername : ctx.sni;
  const authError = socket.authorizationError as unknown as string | Error | null | undefined;
  const code = authError ? (typeof authError === 'string' ? authError : ((authError as NodeJS.ErrnoException).code ?? authError.message)) : undefined;
  const err = role === 'client' && code ? verificationError(code, chain, ctx) : undefined;
  return {
    role,
    protocol: socket.getProtocol() ?? '?',
    cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? '?',
    alpn: typeof alpn === 'string' ? alpn : undefined,
    sni: typeof sni === 'string' && sni ? sni : undefined,
    peerChain: chain,
    local: local ? certificateInfo(local) : undefined,
    verified: role === 'client' ? socket.authorized : false,
    verifyError: err && { code: err.code, message: err.message, messageKey: err.messageKey, params: err.params },
  };
}

/** The summary as lines of "Name: value", in English (the CLI prints them; the extension has its own, translated). */
export function summaryLines(s: TlsSummary): string[] {
  const lines = [`TLS: ${s.protocol}, ${s.cipher}`, `ALPN: ${s.alpn ?? 'none'}`, `SNI: ${s.sni ?? 'none'}`];
  if (s.role === 'client') lines.push(s.verified ? 'Certificate: verified' : `Certificate: NOT verified (${s.verifyError?.code ?? '?'})`);
  const certLines = (label: string, c: TlsCertificateInfo) => [
    `${label}: ${c.subject}`,
    `  issuer: ${c.issuer}`,
    `  valid: ${c.validFrom.slice(0, 10)} to ${c.validTo.slice(0, 10)}`,
    `  names: ${c.sans.join(', ') || 'none'}`,
    `  SHA-256: ${c.sha256}`,
  ];
  if (s.local) lines.push(...certLines('Own certificate', s.local));
  s.peerChain.forEach((c, i) => lines.push(...certLines(i === 0 ? 'Peer certificate' : `Issuer certificate ${i}`, c)));
  return lines;
}

/** OpenSSL's reasons for a handshake whose first bytes were not TLS at all (plain HTTP, random bytes, SSLv2). */
const NOT_TLS_REASONS = ['http request', 'https proxy request', 'wrong version number', 'unknown protocol', 'packet length too long', 'record layer failure', 'unsupported protocol'];

/**
 * Why a client's handshake with a TLS server failed, as one sentence: it did not speak TLS, it shared no ALPN protocol
 * with the server (which offered `alpn`), or it broke off (with a self-signed `certPath`: most likely distrust).
 */
export function clientHandshakeError(err: { code?: string; reason?: string; message?: string }, peer: string, certPath: string | undefined, alpn: readonly string[] | undefined): SocketLabError {
  const detail = err.reason ?? err.code ?? err.message ?? '?';
  const code = err.code ?? 'TLS_HANDSHAKE';
  if (NOT_TLS_REASONS.includes(detail)) return new SocketLabError(code, { peer, detail }, 'TLS_CLIENT_NOT_TLS');
  if (detail === 'no application protocol') return new SocketLabError(code, { peer, detail, alpn: alpn?.join(', ') || '?' }, 'TLS_CLIENT_NO_ALPN');
  return new SocketLabError(code, { peer, detail, cert: certPath ?? '' }, certPath ? 'TLS_CLIENT_REFUSED' : 'TLS_CLIENT_FAILED');
}
