// The packet panel's pure webview parts: row window arithmetic, the row page cache, field lookup
// for click-to-select, the conversation diagram layout, and the protocol validators.
import * as assert from 'node:assert/strict';
import { ancestorPaths, flattenLayers, nodeAtOffset, nodeById, visibleNodes } from '../../webview/src/packets/fieldLookup';
import { layoutDiagram, segmentDetail, toneOf } from '../../webview/src/packets/diagramLayout';
import { timeTicks } from '../../webview/src/packets/ioTicks';
import { filterErrorText, statusText } from '../../webview/src/packets/statusText';
import { relativeTimeText } from '../../webview/src/session/relativeTime';
import { computeRowWindow, MAX_SCROLL_PX, pagesFor, RowPageCache, scrollTopForRow } from '../../webview/src/packets/rowWindow';
import {
  responseValidators, isPacketDetail, isPacketPanelEvent, isPacketPanelRequest, isRowsPage, MAX_ROWS_PER_PAGE,
  type DiagramData, type DiagramSegment, type PacketRow, type WireLayer,
} from '../../src/shared/packetPanelProtocol';

const row = (index: number): PacketRow => ({
  index, no: index + 1, time: index / 1000, source: '127.0.0.1', destination: '127.0.0.1', protocol: 'TCP', length: 66, info: `row ${index}`, tone: '',
});

describe('packet panel: row window', () => {
  it('renders only the rows on screen plus overscan', () => {
    const w = computeRowWindow(2200, 440, 22, 10_000, 4);
    assert.equal(w.first, 96); // row 100 at the top, minus 4 overscan
    assert.equal(w.end, 100 + 21 + 4);
    assert.equal(w.spacerPx, 220_000);
    assert.equal(w.offsetPx, 96 * 22 - 2200 + 2200);
  });

  it('clamps at both ends and handles an empty list', () => {
    assert.deepEqual(computeRowWindow(0, 400, 22, 0), { first: 0, end: 0, offsetPx: 0, spacerPx: 0 });
    const top = computeRowWindow(-50, 440, 22, 5);
    assert.equal(top.first, 0);
    assert.equal(top.end, 5);
    const bottom = computeRowWindow(1e9, 440, 22, 1000, 0);
    assert.equal(bottom.end, 1000);
    assert.ok(bottom.first >= 1000 - 21, `first ${bottom.first}`);
  });

  it('scales the spacer for lists taller than the browser allows and still reaches the last row', () => {
    const total = 2_000_000;
    const w = computeRowWindow(MAX_SCROLL_PX, 440, 22, total, 0);
    assert.equal(w.spacerPx, MAX_SCROLL_PX);
    assert.equal(w.end, total);
    const mid = computeRowWindow((MAX_SCROLL_PX - 440) / 2, 440, 22, total, 0);
    assert.ok(Math.abs(mid.first - total / 2) < 30, `middle row ${mid.first}`);
  });

  it('scrolls a row into view only when it is off screen', () => {
    assert.equal(scrollTopForRow(5, 0, 440, 22, 1000), 0);
    assert.equal(scrollTopForRow(100, 0, 440, 22, 1000), 101 * 22 - 440);
    assert.equal(scrollTopForRow(3, 2200, 440, 22, 1000), 66);
  });

  it('lists the pages covering a range', () => {
    assert.deepEqual(pagesFor(95, 205, 100), [0, 1, 2]);
    assert.deepEqual(pagesFor(100, 200, 100), [1]);
    assert.deepEqual(pagesFor(5, 5, 100), []);
  });

  it('keeps a bounded LRU of pages and drops pages of an old filter generation', () => {
    const cache = new RowPageCache(2, 10);
    cache.reset(1);
    assert.ok(cache.put(1, 0, Array.from({ length: 10 }, (_, i) => row(i))));
    assert.ok(cache.put(1, 1, Array.from({ length: 10 }, (_, i) => row(10 + i))));
    assert.equal(cache.row(3)?.info, 'row 3'); // touches page 0
    cache.put(1, 2, [row(20)]);
    assert.equal(cache.size, 2);
    assert.ok(cache.has(0) && cache.has(2) && !cache.has(1), 'page 1 was least recently used');
    cache.reset(2);
    assert.equal(cache.row(3), undefined);
    assert.equal(cache.put(1, 0, [row(0)]), false, 'a late page of generation 1 is refused');
    assert.equal(cache.size, 0);
  });
});

// Ethernet + IPv4 + TCP as the dissector lays them out (offsets in the frame).
const layers: WireLayer[] = [
  { name: 'frame', title: 'Frame 1: 74 bytes', role: 'frame', offset: 0, length: 74, fields: [] },
  { name: 'eth', title: 'Ethernet II', role: 'frame', offset: 0, length: 14, fields: [
    { id: 'eth.dst', label: 'Destination', display: 'Destination: 00:00:00:00:00:00', offset: 0, length: 6 },
    { id: 'eth.type', label: 'Type', display: 'Type: IPv4 (0x0800)', offset: 12, length: 2 },
  ] },
  { name: 'ip', title: 'Internet Protocol Version 4', role: 'packet', offset: 14, length: 20, fields: [
    { id: 'ip.src', label: 'Source', display: 'Source: 127.0.0.1', offset: 26, length: 4 },
  ] },
  { name: 'tcp', title: 'Transmission Control Protocol', role: 'segment', offset: 34, length: 40, fields: [
    { id: 'tcp.srcport', label: 'Source Port', display: 'Source Port: 46008', offset: 34, length: 2 },
    { id: 'tcp.flags', label: 'Flags', display: 'Flags: 0x002 (SYN)', offset: 46, length: 2, children: [
      { id: 'tcp.flags.syn', label: 'Syn', display: '.... .... ..1. = Syn: Set', offset: 47, length: 1 },
      { id: 'tcp.flags.ack', label: 'Ack', display: '.... ...0 .... = Acknowledgment: Not set', offset: 47, length: 1 },
      { id: 'tcp.flags.res', label: 'Reserved', display: 'Reserved', offset: 46, length: 1 },
    ] },
    { id: 'tcp.analysis', label: 'analysis', display: 'SEQ/ACK analysis', offset: 0, length: 0 },
  ] },
];

describe('packet panel: field lookup (click a byte → its field)', () => {
  const nodes = flattenLayers(layers);

  it('flattens layers and fields depth first with path ids', () => {
    assert.deepEqual(nodes.map((n) => n.id).slice(0, 6), ['frame', 'eth', 'eth.dst', 'eth.type', 'ip', 'ip.src']);
    const syn = nodeById(nodes, 'tcp.flags.syn');
    assert.equal(syn?.path, '3/1/0');
    assert.equal(syn?.depth, 2);
    assert.equal(nodeById(nodes, 'tcp.flags')?.hasChildren, true);
    assert.equal(nodeById(nodes, 'tcp')?.isLayer, true);
  });

  it('picks the narrowest, then deepest, field covering a byte', () => {
    assert.equal(nodeAtOffset(nodes, 47)?.id, 'tcp.flags.syn'); // first of the equally narrow, deepest children
    assert.equal(nodeAtOffset(nodes, 46)?.id, 'tcp.flags.res');
    assert.equal(nodeAtOffset(nodes, 27)?.id, 'ip.src');
    assert.equal(nodeAtOffset(nodes, 20)?.id, 'ip', 'a byte no field claims belongs to its layer');
    assert.equal(nodeAtOffset(nodes, 13)?.id, 'eth.type');
    assert.equal(nodeAtOffset(nodes, 8)?.id, 'eth', 'eth (14 bytes) is narrower than frame (74)');
    assert.equal(nodeAtOffset(nodes, 74), undefined);
  });

  it('never selects a zero-length field', () => {
    assert.notEqual(nodeAtOffset(nodes, 0)?.id, 'tcp.analysis');
  });

  it('computes ancestors to expand and the visible rows', () => {
    assert.deepEqual(ancestorPaths('3/1/0'), ['3', '3/1']);
    const collapsed = visibleNodes(nodes, new Set());
    assert.deepEqual(collapsed.map((n) => n.id), ['frame', 'eth', 'ip', 'tcp']);
    const open = visibleNodes(nodes, new Set(['3', '3/1']));
    assert.ok(open.some((n) => n.id === 'tcp.flags.syn'));
    assert.ok(!open.some((n) => n.id === 'ip.src'));
  });
});

const seg = (no: number, fromA: boolean, flags: string[], seq: number, ack: number, len: number): DiagramSegment => ({
  index: no - 1, no, time: no / 10_000, fromA, flags, seq, ack, len, win: 65536,
});

describe('packet panel: conversation diagram layout', () => {
  const data: DiagramData = {
    key: 'k', a: '127.0.0.1:46008', b: '127.0.0.1:47811', omittedBefore: 0, omitted: 0,
    segments: [
      seg(1, true, ['SYN'], 0, 0, 0),
      seg(2, false, ['SYN', 'ACK'], 0, 1, 0),
      seg(3, true, ['ACK'], 1, 1, 0),
      seg(4, true, ['PSH', 'ACK'], 1, 1, 6),
      seg(5, false, ['FIN', 'ACK'], 1, 7, 0),
      seg(6, true, ['RST'], 7, 0, 0),
    ],
  };

  it('draws one arrow per segment, in order, between the two lanes', () => {
    const l = layoutDiagram(data, { width: 600, rowPx: 40, headerPx: 40, timePx: 80, slopePx: 10 });
    assert.equal(l.arrows.length, 6);
    assert.ok(l.laneA < l.laneB);
    assert.equal(l.laneB, 600 - 72);
    const [syn, synAck] = l.arrows;
    assert.deepEqual([syn.x1, syn.x2], [l.laneA, l.laneB], 'A → B');
    assert.deepEqual([synAck.x1, synAck.x2], [l.laneB, l.laneA], 'B → A');
    assert.ok(l.arrows.every((a, i) => i === 0 || a.y1 > l.arrows[i - 1].y1), 'time flows down');
    assert.ok(l.arrows.every((a) => a.y2 - a.y1 === 10), 'every arrow slopes by the transit');
    assert.ok(l.height >= l.arrows[5].y2);
  });

  it('labels flags, relative seq/ack and length the way Wireshark does', () => {
    const l = layoutDiagram(data);
    assert.deepEqual(l.arrows.map((a) => a.flagsText), ['[SYN]', '[SYN, ACK]', '[ACK]', '[PSH, ACK]', '[FIN, ACK]', '[RST]']);
    assert.equal(l.arrows[0].detail, 'Seq=0 Len=0', 'no Ack without the ACK flag');
    assert.equal(l.arrows[1].detail, 'Seq=0 Ack=1 Len=0');
    assert.equal(l.arrows[3].detail, 'Seq=1 Ack=1 Len=6');
    assert.equal(l.arrows[3].fullDetail, 'Seq=1 Ack=1 Len=6 Win=65536');
    assert.equal(l.arrows[1].timeLabel, '0.000200');
    assert.deepEqual(l.arrows.map((a) => a.tone), ['syn', 'syn', 'ack', 'data', 'fin', 'rst']);
  });

  it('tones and details are computed from flags and length alone', () => {
    assert.equal(toneOf(seg(1, true, ['FIN', 'PSH', 'ACK'], 0, 0, 5)), 'fin');
    assert.equal(segmentDetail(seg(1, true, [], 9, 4, 0)), 'Seq=9 Len=0');
    assert.equal(segmentDetail(seg(1, true, ['ACK'], 9, 4, 0), true), 'Seq=9 Ack=4 Len=0 Win=65536');
  });

  it('keeps a minimum width and an empty diagram has no arrows', () => {
    const l = layoutDiagram({ ...data, segments: [] }, { width: 10 });
    assert.equal(l.arrows.length, 0);
    // narrow enough to sit beside the packet list at 1400 px (the pane scrolls or folds away below that)
    assert.ok(l.laneB - l.laneA >= 110, 'room between the lanes');
  });
});

describe('packet panel: protocol validators', () => {
  it('accepts well-formed requests and rejects everything else', () => {
    assert.ok(isPacketPanelRequest({ type: 'rows', start: 0, count: 100 }));
    assert.ok(isPacketPanelRequest({ type: 'filter', expr: 'tcp.flags.syn == 1' }));
    assert.ok(isPacketPanelRequest({ type: 'export', format: 'pcap', scope: 'conversation', key: 'x' }));
    assert.ok(!isPacketPanelRequest({ type: 'rows', start: -1, count: 10 }));
    assert.ok(!isPacketPanelRequest({ type: 'rows', start: 0, count: MAX_ROWS_PER_PAGE + 1 }));
    assert.ok(!isPacketPanelRequest({ type: 'filter', expr: 'x'.repeat(5000) }));
    assert.ok(!isPacketPanelRequest({ type: 'export', format: 'exe', scope: 'all' }));
    assert.ok(!isPacketPanelRequest({ type: 'export', format: 'pcap', scope: 'conversation' }));
    assert.ok(!isPacketPanelRequest({ type: 'packet', index: 1.5 }));
    assert.ok(isPacketPanelRequest({ type: 'position', index: 3 }));
    assert.ok(isPacketPanelRequest({ type: 'find', index: 3, query: '0a 0b', mode: 'hex', from: 0 }));
    assert.ok(!isPacketPanelRequest({ type: 'find', index: 3, query: 'x', mode: 'regex', from: 0 }));
    assert.ok(isPacketPanelRequest({ type: 'copy', text: 'x' }));
    assert.ok(!isPacketPanelRequest({ type: 'copy', text: 7 }));
    assert.ok(responseValidators.position({ generation: 2, position: -1 }));
    assert.ok(!responseValidators.position({ generation: 2, position: -2 }));
    assert.ok(!isPacketPanelRequest({ type: 'nope' }));
    assert.ok(!isPacketPanelRequest(null));
  });

  it('checks events and answers coming into the webview', () => {
    assert.ok(isPacketPanelEvent({ type: 'status', total: 3, matched: 1, generation: 2, state: 'running', drops: 0 }));
    assert.ok(!isPacketPanelEvent({ type: 'status', total: 3, matched: 1, generation: 2, state: 'dancing', drops: 0 }));
    assert.ok(isRowsPage({ generation: 1, start: 0, matched: 1, rows: [row(0)] }));
    assert.ok(!isRowsPage({ generation: 1, start: 0, matched: 1, rows: [{ ...row(0), tone: 'evil' }] }));
    const detail = { index: 0, no: 1, time: 0, tsMicros: 1, origLen: 74, linkType: 1, bytes: new Uint8Array([0, 0xff]), layers };
    assert.ok(isPacketDetail(detail));
    assert.ok(isPacketDetail(structuredClone(detail)), 'bytes survive the structured clone postMessage does');
    assert.ok(!isPacketDetail({ ...detail, bytes: '00ff' }));
    assert.ok(!isPacketDetail({ ...detail, bytes: [0, 255] }));
    assert.ok(!isPacketDetail({ ...detail, layers: [{ ...layers[0], role: 'blob' }] }));
  });
});

describe('packet panel: I/O graph time axis', () => {
  it('puts ticks at round multiples of the interval, evenly spaced, each labelled exactly', () => {
    // 12 bins of 1 ms: labels used to fall at bins 0, 2, 5, 7, 10, 12 ("0.007 s" between two bars)
    const ticks = timeTicks(0, 1, 12);
    assert.deepEqual(ticks.map((x) => x.bin), [0, 5, 10]);
    assert.deepEqual(ticks.map((x) => x.label), ['0 s', '0.005 s', '0.01 s']);
    const many = timeTicks(0, 10, 37);
    assert.deepEqual(many.map((x) => x.bin), [0, 10, 20, 30]);
    assert.deepEqual(many.map((x) => x.label), ['0 s', '0.1 s', '0.2 s', '0.3 s']);
  });

  it('a graph starting off a step (a conversation) gets ticks at round capture times, between interval edges', () => {
    const ticks = timeTicks(1.2345, 100, 20); // 1.2345 s … 3.2345 s, step 5 intervals = 0.5 s
    assert.deepEqual(ticks.map((x) => x.label), ['1.5 s', '2 s', '2.5 s', '3 s']);
    assert.ok(Math.abs(ticks[0].bin - 2.655) < 1e-9, String(ticks[0].bin));
    assert.deepEqual(timeTicks(0, 1000, 0), []);
    assert.deepEqual(timeTicks(0, 1, 2).map((x) => x.bin), [0, 1, 2]);
  });
});

describe('packet panel: status line', () => {
  it('counts packets with the thousands separator the tables use', () => {
    const status = { total: 455_000, matched: 455_000, generation: 1, state: 'file', drops: 0 } as const;
    assert.equal(statusText(status), '455,000 packets · file');
    assert.equal(statusText({ ...status, matched: 12_345, state: 'running', drops: 1_200 }), '12,345 of 455,000 packets shown · capturing · 1,200 dropped');
  });

  it('a filter error says the list still shows the previous filter\'s result', () => {
    assert.equal(filterErrorText('Expected a value after "==".'), 'Expected a value after "==". The list still shows the result of the previous filter.');
  });
});

describe('Follow: chunk times', () => {
  it('a sub-millisecond exchange reads in µs and ms, not "+0.000 s" for every chunk', () => {
    assert.equal(relativeTimeText(0), '+0.000 s');
    assert.equal(relativeTimeText(0.035), '+35 µs');
    assert.equal(relativeTimeText(0.482), '+482 µs');
    assert.equal(relativeTimeText(12.3456), '+12.346 ms');
    assert.equal(relativeTimeText(1250), '+1.250 s');
  });
});

describe('packet panel: diagram marks', () => {
  it('a TCP analysis mark has a line of its own: below its arrow\'s end, above the next arrow\'s label', () => {
    const seg = (index: number, analysis?: DiagramSegment['analysis']): DiagramSegment =>
      ({ index, no: index + 1, time: 0, fromA: index % 2 === 0, flags: ['ACK'], seq: 1, ack: 1, len: 0, win: 1, ...(analysis ? { analysis } : {}) });
    const l = layoutDiagram({ key: 'k', a: 'A', b: 'B', omitted: 0, omittedBefore: 0, segments: [seg(0, ['ack_lost_segment']), seg(1, ['lost_segment']), seg(2)] });
    const TEXT_PX = 11; // the mark's font size: its glyphs reach that far above the baseline
    for (const [i, a] of l.arrows.slice(0, 2).entries()) {
      assert.ok(a.markY - TEXT_PX >= a.y2, `mark ${i} (${a.markY}) clears its arrow (ends at ${a.y2})`);
      assert.ok(a.markY <= l.arrows[i + 1].labelY - TEXT_PX, `mark ${i} (${a.markY}) is above the next label (${l.arrows[i + 1].labelY})`);
    }
    // an unmarked row keeps its height
    assert.equal(l.arrows[2].rowHeight, 34);
    assert.ok(l.height >= l.arrows[2].y2);
  });
});
