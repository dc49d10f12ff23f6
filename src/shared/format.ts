// Bytes as text, the same everywhere (core, the CLI, the extension, both webviews).

/** "00".."ff" by byte value (table-driven: hex views format thousands of bytes per frame). */
export const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** "48 65 6c" — lower-case pairs separated by `sep`. */
export function formatHex(bytes: Uint8Array, sep = ' '): string {
  const out = new Array<string>(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = HEX_BYTE[bytes[i]];
  return out.join(sep);
}

/** 512 B, 1.5 KiB, 3.2 MiB, 1.05 GiB. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}
