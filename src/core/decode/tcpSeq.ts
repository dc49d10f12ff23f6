// TCP's flag bits and sequence-space comparisons that survive wraparound (Wireshark's LT_SEQ / GT_SEQ / LE_SEQ),
// declared once for the dissector, its analysis and reassembly, and the stream follower.

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;
export const URG = 0x20;
export const ECE = 0x40;
export const CWR = 0x80;
export const AE = 0x100;

/** `a` comes before `b` in 32-bit sequence space. */
export const seqLt = (a: number, b: number): boolean => ((a - b) | 0) < 0;
/** `a` comes after `b`. */
export const seqGt = (a: number, b: number): boolean => ((b - a) | 0) < 0;
/** `a` comes before `b` or is `b`. */
export const seqLe = (a: number, b: number): boolean => ((a - b) | 0) <= 0;
