// Names every layer agrees on (core, the extension, both webviews), declared once.

/** Which way bytes went, seen from Socket Lab's end. */
export type Direction = 'in' | 'out';

/** Message framing on a byte stream, by name (core/codec/framing.ts parses a name into its shape). */
export const FRAMING_NAMES = ['raw', 'line', 'len2be', 'len2le', 'len4be', 'len4le'] as const;
export type FramingName = (typeof FRAMING_NAMES)[number];

/** What a dissected layer is on the wire (Wireshark's frame / packet / segment / datagram / message). */
export const LAYER_ROLES = ['frame', 'packet', 'segment', 'datagram', 'message'] as const;
export type LayerRole = (typeof LAYER_ROLES)[number];
