// One captured packet as it crosses every boundary (helper → extension → webview, pcap files).

/** libpcap LINKTYPE_* values Socket Lab understands. */
export const LinkType = {
  NULL: 0, // BSD loopback
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  LINUX_SLL2: 276,
} as const;

export interface PacketRecord {
  /** Capture time, µs since the epoch (fits a double exactly until the year 2255). */
  readonly tsMicros: number;
  /** Nanoseconds past `tsMicros` (0–999), from a capture stamped finer than µs; absent: 0. */
  readonly tsNanos?: number;
  /** Bytes on the wire; `data.length` is what was captured (≤ snaplen). */
  readonly origLen: number;
  readonly linkType: number;
  readonly data: Uint8Array;
}
