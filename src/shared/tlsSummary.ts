// What a TLS session's handshake settled, as the tree tooltip, the session panel header and the CLI show it.
// Built in core/tls/tlsInfo.ts from a node:tls socket; checked here when it crosses into the session panel.
import { isArrayOf, isBool, isObj, isOneOf, isOptStr, isStr } from './validate';

/** One certificate of a chain, as people compare them (subject, issuer, dates, names, fingerprint). */
export interface TlsCertificateInfo {
  readonly subject: string;
  readonly issuer: string;
  /** ISO 8601. */
  readonly validFrom: string;
  readonly validTo: string;
  /** Subject alternative names as OpenSSL prints them: "DNS:localhost", "IP Address:127.0.0.1". */
  readonly sans: readonly string[];
  /** SHA-256 of the DER, colon-separated upper-case hex (as openssl x509 -fingerprint -sha256 prints it). */
  readonly sha256: string;
}

export interface TlsSummary {
  /** Which end of the handshake Socket Lab was. */
  readonly role: 'client' | 'server';
  /** "TLSv1.3" … */
  readonly protocol: string;
  /** OpenSSL's name of the cipher suite ("TLS_AES_256_GCM_SHA384"). */
  readonly cipher: string;
  /** The application protocol ALPN agreed on, if any. */
  readonly alpn?: string;
  /** The server name the client asked for (SNI), if any. */
  readonly sni?: string;
  /** The peer's certificate chain, its own first (a server usually sees none: clients rarely present one). */
  readonly peerChain: readonly TlsCertificateInfo[];
  /** A server's own certificate. */
  readonly local?: TlsCertificateInfo;
  /** Clients: the peer's chain checked out (trusted CA, valid dates, the name we asked for). */
  readonly verified: boolean;
  /** Clients: why it did not, as one sentence with the fix (English; code/params give the other language). */
  readonly verifyError?: { readonly code: string; readonly message: string; readonly messageKey?: string; readonly params?: Record<string, string | number> };
}

const isCert = (v: unknown): v is TlsCertificateInfo =>
  isObj(v) && isStr(v.subject, 2000) && isStr(v.issuer, 2000) && isStr(v.validFrom, 64) && isStr(v.validTo, 64) && isArrayOf(v.sans, (s) => isStr(s, 300), 200) && isStr(v.sha256, 200);

/** For the session panel's protocol: the summary as the host sends it. */
export function isTlsSummary(v: unknown): v is TlsSummary {
  return (
    isObj(v) &&
    isOneOf(v.role, ['client', 'server'] as const) &&
    isStr(v.protocol, 40) &&
    isStr(v.cipher, 200) &&
    isOptStr(v.alpn, 300) &&
    isOptStr(v.sni, 300) &&
    isArrayOf(v.peerChain, isCert, 16) &&
    (v.local === undefined || isCert(v.local)) &&
    isBool(v.verified) &&
    (v.verifyError === undefined || (isObj(v.verifyError) && isStr(v.verifyError.code, 64) && isStr(v.verifyError.message, 2000)))
  );
}
