// TCP options Wireshark 4.0 knows by kind but Socket Lab does not decode further: each gets Wireshark's own subtree
// name (not `tcp.options.unknown`) with its kind and length. MPTCP's option is the `mptcp` protocol in Wireshark's
// tree (so frame.protocols lists `tcp:mptcp`); its subtype is shown. Kinds as tshark 4.0 names them, asked of it.
import type { Field, Layer } from './dissect';
import { type FieldDef, type PacketInfo, addChild, declareFields } from './registry';

const hf = declareFields({
  echo: ['tcp.options.echo', 'TCP Option - Echo', 'none'],
  cc: ['tcp.options.cc', 'TCP Option - CC', 'none'],
  md5: ['tcp.options.md5', 'TCP Option - TCP MD5 signature', 'none'],
  scps: ['tcp.options.scps', 'TCP Option - SCPS capabilities', 'none'],
  snack: ['tcp.options.snack', 'TCP Option - Selective Negative Acknowledgment', 'none'],
  scpsrec: ['tcp.options.scpsrec', 'TCP Option - SCPS record boundary', 'none'],
  scpscor: ['tcp.options.scpscor', 'TCP Option - SCPS corruption experienced', 'none'],
  qs: ['tcp.options.qs', 'TCP Option - Quick-Start', 'none'],
  userTo: ['tcp.options.user_to', 'TCP Option - User Timeout', 'none'],
  ao: ['tcp.options.ao', 'TCP Option - TCP AO', 'none'],
  mptcp: ['mptcp', 'Multipath Transmission Control Protocol', 'none'],
  mptcpSubtype: ['tcp.options.mptcp.subtype', 'Multipath TCP subtype', 'uint'],
  tfo: ['tcp.options.tfo', 'TCP Option - TCP Fast Open', 'none'],
  rvbdProbe: ['tcp.options.rvbd.probe', 'TCP Option - Riverbed Probe', 'none'],
  rvbdTrpy: ['tcp.options.rvbd.trpy', 'TCP Option - Riverbed Transparency', 'none'],
  accEcn: ['tcp.options.acc_ecn', 'TCP Option - Accurate ECN', 'none'],
  experimental: ['tcp.options.experimental', 'TCP Option - Experimental', 'none'],
});

const heads: Record<number, [FieldDef, string]> = {
  6: [hf.echo, 'Echo'],
  7: [hf.echo, 'Echo Reply'],
  11: [hf.cc, 'CC'],
  12: [hf.cc, 'CC.NEW'],
  13: [hf.cc, 'CC.ECHO'],
  19: [hf.md5, 'TCP MD5 signature'],
  20: [hf.scps, 'SCPS capabilities'],
  21: [hf.snack, 'Selective Negative Acknowledgment'],
  22: [hf.scpsrec, 'SCPS record boundary'],
  23: [hf.scpscor, 'SCPS corruption experienced'],
  27: [hf.qs, 'Quick-Start'],
  28: [hf.userTo, 'User Timeout'],
  29: [hf.ao, 'TCP Authentication Option'],
  30: [hf.mptcp, 'Multipath TCP'],
  34: [hf.tfo, 'TCP Fast Open'],
  76: [hf.rvbdProbe, 'Riverbed Probe'],
  78: [hf.rvbdTrpy, 'Riverbed Transparency'],
  172: [hf.accEcn, 'Accurate ECN Order 0'],
  174: [hf.accEcn, 'Accurate ECN Order 1'],
  253: [hf.experimental, 'RFC3692-style Experiment 1'],
  254: [hf.experimental, 'RFC3692-style Experiment 2'],
};

/** Wireshark's subtree name and kind name for an option kind it knows, else `unknown` with the name `Unknown`. */
export function optionHead(kind: number, unknown: FieldDef): [FieldDef, string] {
  return heads[kind] ?? [unknown, 'Unknown'];
}

/** What Socket Lab shows inside such an option: MPTCP's subtype (the high nibble of its third byte). */
export function addOptionBody(pi: PacketInfo, layer: Layer, node: Field | undefined, kind: number, o: number, len: number): void {
  if (kind === 30 && len >= 3) {
    const subtype = pi.r.u8At(o + 2) >> 4;
    addChild(pi, layer, node, hf.mptcpSubtype, subtype, String(subtype), o + 2, 1);
  }
}

/** Options that are protocols of their own in Wireshark's frame.protocols (after `tcp`, once per option). */
export const optionProtocols = new Set(['mptcp']);
