// A TLS server started without a certificate gets a self-signed one for localhost, 127.0.0.1 and ::1, made here once
// and kept in a cache folder (VS Code: the workspace's storage; the CLI: ~/.cache/socket-lab) so clients trust it once.
//
// Built with @peculiar/x509 on Node's WebCrypto: a maintained TypeScript X.509 library (PeculiarVentures, also behind
// pkijs-style tooling and the `selfsigned` package's current major) that builds certificates and their extensions
// (SANs for DNS names and IP addresses, key usages) without OpenSSL on PATH and without hand-written ASN.1; node-forge
// would bring its own slow JavaScript RSA and crypto. Its dependency injection needs the Reflect metadata polyfill,
// so the library is loaded only when a certificate is made.
import { createPrivateKey, webcrypto, X509Certificate } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SocketLabError } from '../errors';

export interface ServerCertificate {
  cert: string;
  key: string;
  /** Where the certificate is kept, for clients to trust (--ca). */
  certPath: string;
  keyPath: string;
  /** True when it was made just now rather than read from the cache. */
  created: boolean;
}

/** The CLI's cache folder: $XDG_CACHE_HOME/socket-lab, else ~/.cache/socket-lab. */
export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'socket-lab');
}

export const CERT_FILE = 'tls-localhost.crt';
const KEY_FILE = 'tls-localhost.key';
const DAY = 86_400_000;

/** The cached certificate if it is readable and valid for at least another day. */
function cached(certPath: string, keyPath: string): ServerCertificate | undefined {
  try {
    const cert = fs.readFileSync(certPath, 'utf8');
    const key = fs.readFileSync(keyPath, 'utf8');
    const x = new X509Certificate(cert);
    if (new Date(x.validTo).getTime() < Date.now() + DAY || !x.checkPrivateKey(createPrivateKey(key))) return undefined;
    return { cert, key, certPath, keyPath, created: false };
  } catch {
    return undefined;
  }
}

/** Makes a self-signed certificate (ECDSA P-256, valid `days` from an hour ago) for `names` (DNS names and IPs). */
export async function makeSelfSigned(opts: { names?: string[]; days?: number; notBefore?: Date; subject?: string } = {}): Promise<{ cert: string; key: string }> {
  await import('reflect-metadata');
  const x509 = await import('@peculiar/x509');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const names = opts.names ?? ['localhost', '127.0.0.1', '::1'];
  const notBefore = opts.notBefore ?? new Date(Date.now() - 3_600_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: opts.subject ?? 'CN=Socket Lab localhost, O=Socket Lab',
    notBefore,
    notAfter: new Date(notBefore.getTime() + (opts.days ?? 365) * DAY),
    keys,
    signingAlgorithm: alg,
    extensions: [
      new x509.SubjectAlternativeNameExtension(names.map((n) => ({ type: /^[\d.]+$|:/.test(n) ? 'ip' : 'dns', value: n }))),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64');
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END PRIVATE KEY-----\n`;
  return { cert: cert.toString('pem') + '\n', key };
}

/** The server certificate kept in `dir`, made (and saved, the key readable only by its owner) when missing or expiring. */
export async function serverCertificate(dir: string): Promise<ServerCertificate> {
  const certPath = path.join(dir, CERT_FILE);
  const keyPath = path.join(dir, KEY_FILE);
  const have = cached(certPath, keyPath);
  if (have) return have;
  const { cert, key } = await makeSelfSigned();
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fs.writeFileSync(keyPath, key, { mode: 0o600 });
    fs.writeFileSync(certPath, cert);
  } catch (e) {
    throw new SocketLabError('TLS_CACHE', { path: dir, detail: (e as NodeJS.ErrnoException).code ?? String(e) });
  }
  return { cert, key, certPath, keyPath, created: true };
}
