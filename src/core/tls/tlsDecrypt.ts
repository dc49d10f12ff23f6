// TLS record decryption from an NSS key log (SSLKEYLOGFILE), as Wireshark's tls.keylog_file: TLS 1.3 (traffic
// secrets per direction, handshake then application) and TLS 1.2 (CLIENT_RANDOM master secret, PRF key block) for the
// AEAD suites: AES-128/256-GCM and ChaCha20-Poly1305. Everything here is node:crypto; no secret leaves the process.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';

export interface CipherSuite {
  readonly name: string;
  readonly cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLen: number;
  readonly hash: 'sha256' | 'sha384';
}

const gcm128 = (name: string, hash: 'sha256' | 'sha384' = 'sha256'): CipherSuite => ({ name, cipher: 'aes-128-gcm', keyLen: 16, hash });
const gcm256 = (name: string): CipherSuite => ({ name, cipher: 'aes-256-gcm', keyLen: 32, hash: 'sha384' });
const chacha = (name: string): CipherSuite => ({ name, cipher: 'chacha20-poly1305', keyLen: 32, hash: 'sha256' });

/** The AEAD suites decrypted here, by IANA number (names as Wireshark shows them). */
export const AEAD_SUITES: ReadonlyMap<number, CipherSuite> = new Map([
  [0x1301, gcm128('TLS_AES_128_GCM_SHA256')],
  [0x1302, gcm256('TLS_AES_256_GCM_SHA384')],
  [0x1303, chacha('TLS_CHACHA20_POLY1305_SHA256')],
  [0x009c, gcm128('TLS_RSA_WITH_AES_128_GCM_SHA256')],
  [0x009d, gcm256('TLS_RSA_WITH_AES_256_GCM_SHA384')],
  [0x009e, gcm128('TLS_DHE_RSA_WITH_AES_128_GCM_SHA256')],
  [0x009f, gcm256('TLS_DHE_RSA_WITH_AES_256_GCM_SHA384')],
  [0xc02b, gcm128('TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256')],
  [0xc02c, gcm256('TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384')],
  [0xc02f, gcm128('TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256')],
  [0xc030, gcm256('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384')],
  [0xcca8, chacha('TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256')],
  [0xcca9, chacha('TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256')],
  [0xccaa, chacha('TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256')],
]);

/** Most client randoms kept; the oldest is forgotten first (a key log of a long capture stays bounded). */
export const MAX_KEYLOG_SESSIONS = 100_000;
/** One direction's record protection: the AEAD, its key and IV (TLS 1.2 GCM: the 4-byte salt). */
export interface DirectionKeys {
  readonly suite: CipherSuite;
  readonly key: Buffer;
  readonly iv: Buffer;
  readonly tls13: boolean;
}

/**
 * The secrets of a key log, by client random (bounded: the oldest session is forgotten first). Fed from files, from
 * Socket Lab's own TLS sessions, or line by line.
 */
export class TlsKeyLog {
  /** client random (hex) → label → secret. */
  private readonly secrets = new Map<string, Map<string, Buffer>>();
  /** Lines read that were not key log lines (comments excluded). */
  invalidLines = 0;

  get size(): number {
    return this.secrets.size;
  }

  /** Adds the lines of a key log (`LABEL <client random hex> <secret hex>`); returns how many were taken. */
  addText(text: string): number {
    let n = 0;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      if (this.addLine(line)) n++;
      else this.invalidLines++;
    }
    return n;
  }

  addLine(line: string): boolean {
    const m = /^([A-Z_0-9]+) ([0-9a-fA-F]{64}) ([0-9a-fA-F]{32,128})$/.exec(line.trim());
    if (!m) return false;
    const cr = m[2].toLowerCase();
    let s = this.secrets.get(cr);
    if (!s) {
      if (this.secrets.size >= MAX_KEYLOG_SESSIONS) this.secrets.delete(this.secrets.keys().next().value as string);
      this.secrets.set(cr, (s = new Map()));
    }
    s.set(m[1], Buffer.from(m[3], 'hex'));
    return true;
  }

  secret(clientRandom: string, label: string): Buffer | undefined {
    return this.secrets.get(clientRandom)?.get(label);
  }
}

/** A key log is text lines of about 200 bytes; a bigger file is not one. */
export const MAX_KEYLOG_FILE = 64 << 20;

/** What reading a key log file gave: the secrets taken, or why none. */
export type KeyLogRead = { taken: number } | { why: 'not-a-file' | 'no-lines' } | { why: 'too-big'; size: number } | { why: 'unreadable'; code: string };

/** Reads a key log file into `log`, refusing what cannot be one (not a file, over MAX_KEYLOG_FILE) before reading it. */
export function readKeyLogFile(file: string, log: TlsKeyLog): KeyLogRead {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (!st.isFile()) return { why: 'not-a-file' };
    if (st.size > MAX_KEYLOG_FILE) return { why: 'too-big', size: st.size };
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    return { why: 'unreadable', code: (e as NodeJS.ErrnoException).code ?? String(e) };
  }
  const taken = log.addText(text);
  return taken > 0 ? { taken } : { why: 'no-lines' };
}

function hmac(hash: string, key: Buffer, data: Buffer): Buffer {
  return crypto.createHmac(hash, key).update(data).digest();
}

/** HKDF-Expand-Label of TLS 1.3 (RFC 8446 §7.1) with an empty context, for lengths up to one hash block. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const full = Buffer.from(`tls13 ${label}`, 'latin1');
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, full.length]), full, Buffer.from([0, 1])]);
  return hmac(hash, secret, info).subarray(0, length);
}

/** TLS 1.3 keys of one direction from its traffic secret. */
export function tls13Keys(suite: CipherSuite, secret: Buffer): DirectionKeys {
  return { suite, tls13: true, key: expandLabel(suite.hash, secret, 'key', suite.keyLen), iv: expandLabel(suite.hash, secret, 'iv', 12) };
}

/** TLS 1.2's PRF (RFC 5246 §5): P_hash(secret, label + seed). */
function prf(hash: string, secret: Buffer, label: string, seed: Buffer, length: number): Buffer {
  const ls = Buffer.concat([Buffer.from(label, 'latin1'), seed]);
  const out: Buffer[] = [];
  let a: Buffer = ls;
  let got = 0;
  while (got < length) {
    a = hmac(hash, secret, a);
    const block = hmac(hash, secret, Buffer.concat([a, ls]));
    out.push(block);
    got += block.length;
  }
  return Buffer.concat(out).subarray(0, length);
}

/** TLS 1.2 keys of both directions (client first) from the master secret and the two randoms. */
export function tls12Keys(suite: CipherSuite, master: Buffer, clientRandom: Buffer, serverRandom: Buffer): [DirectionKeys, DirectionKeys] {
  const ivLen = suite.cipher === 'chacha20-poly1305' ? 12 : 4;
  const block = prf(suite.hash, master, 'key expansion', Buffer.concat([serverRandom, clientRandom]), 2 * suite.keyLen + 2 * ivLen);
  const k = suite.keyLen;
  const mk = (key: Buffer, iv: Buffer): DirectionKeys => ({ suite, tls13: false, key, iv });
  return [mk(block.subarray(0, k), block.subarray(2 * k, 2 * k + ivLen)), mk(block.subarray(k, 2 * k), block.subarray(2 * k + ivLen, 2 * k + 2 * ivLen))];
}

function xorSeq(iv: Buffer, seq: bigint): Buffer {
  const n = Buffer.from(iv);
  for (let i = 0; i < 8; i++) n[n.length - 1 - i] ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  return n;
}

/**
 * Decrypts one record's body (`header` is its 5 bytes): the plaintext, for TLS 1.3 with the content type it hides
 * (padding removed); undefined when the keys do not open it (wrong keys or a damaged record).
 */
export function decryptRecord(k: DirectionKeys, seq: bigint, header: Uint8Array, body: Uint8Array): { type: number; plain: Buffer } | undefined {
  const TAG = 16;
  let nonce: Buffer;
  let ct: Uint8Array;
  let aad: Buffer;
  if (k.tls13) {
    if (body.length < TAG + 1) return undefined;
    nonce = xorSeq(k.iv, seq);
    ct = body;
    aad = Buffer.from(header);
  } else {
    const explicit = k.suite.cipher === 'chacha20-poly1305' ? 0 : 8;
    if (body.length < TAG + explicit) return undefined;
    nonce = explicit ? Buffer.concat([k.iv, body.subarray(0, 8)]) : xorSeq(k.iv, seq);
    ct = body.subarray(explicit);
    const len = ct.length - TAG;
    const seqBuf = Buffer.alloc(8);
    seqBuf.writeBigUInt64BE(seq);
    aad = Buffer.concat([seqBuf, Buffer.from([header[0], header[1], header[2], len >> 8, len & 0xff])]);
  }
  try {
    const d = crypto.createDecipheriv(k.suite.cipher, k.key, nonce, { authTagLength: TAG } as crypto.CipherGCMOptions) as crypto.DecipherGCM;
    d.setAAD(aad, { plaintextLength: ct.length - TAG });
    d.setAuthTag(ct.subarray(ct.length - TAG));
    const plain = Buffer.concat([d.update(ct.subarray(0, ct.length - TAG)), d.final()]);
    if (!k.tls13) return { type: header[0], plain };
    let end = plain.length;
    while (end > 0 && plain[end - 1] === 0) end--;
    if (end === 0) return undefined;
    return { type: plain[end - 1], plain: plain.subarray(0, end - 1) };
  } catch {
    return undefined;
  }
}
