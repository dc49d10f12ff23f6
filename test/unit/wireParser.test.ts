// .wire scripts (issue 15): every form of the grammar, every mistake with its line:column in both languages, templates,
// and seeded fuzzing (fixed seeds, bounded counts) like the other parsers'.
import * as assert from 'node:assert/strict';
import { blockLabel, parseWire, WireFile, WireStep } from '../../src/core/wire/wireParser';
import { checksum, evalTemplate, parseTemplate, textBytes, TemplateError } from '../../src/core/wire/wireTemplates';
import { variableResolver } from '../../src/core/wire/wireRules';
import { prng } from './helpers';

const issueExample = `@host = 127.0.0.1
@port = 9000

### upper echo
connect tcp {{host}}:{{port}}
send "hello\\n"                 # text with C/Python escapes, in the block's encoding
expect "HELLO\\n"               # the next received bytes equal these (waits for enough bytes)
send hex 01 02 ff
expect hex 01 02 ff
send "ping {{counter}}"
expect /^PING \\d+$/            # regex on the received text, up to what matched
expect bytes 4                 # any 4 bytes
wait 200ms
half-close
expect closed                  # the peer closes
close

### a server that answers by rules
listen tcp 127.0.0.1:9001
on "PING\\n" reply "PONG\\n"
on /^GET (\\S+)/ reply "you asked for $1\\n"
on hex 01 02 reply hex 03 04
on any reply "?\\n"
`;

/** The step type whose kind includes K (connect and listen share one). */
type StepOf<K> = WireStep extends infer S ? (S extends { kind: infer Q } ? (K extends Q ? S : never) : never) : never;
const step = <K extends WireStep['kind']>(f: WireFile, block: number, i: number, kind: K): StepOf<K> => {
  const s = f.blocks[block].steps[i];
  assert.equal(s.kind, kind);
  return s as StepOf<K>;
};

/** The one diagnostic `text` gives: its line, column and English sentence (Chinese checked to be Chinese). */
function oneError(text: string, opts?: { variables?: string[] }) {
  const f = parseWire(text, opts);
  assert.equal(f.diagnostics.length, 1, `expected one diagnostic, got ${JSON.stringify(f.diagnostics)}`);
  const d = f.diagnostics[0];
  assert.match(d.messageZh, /[\u4e00-\u9fff]/, `Chinese sentence for ${d.message}`);
  return d;
}

describe('wire parser: the forms of issue 15', () => {
  it('reads the issue example: variables, a client block and a server block, each step at its line and column', () => {
    const f = parseWire(issueExample);
    assert.deepEqual(f.diagnostics, []);
    assert.deepEqual([...f.variables.keys()], ['host', 'port']);
    assert.deepEqual(f.blocks.map((b) => [b.name, b.kind, b.line, b.index]), [['upper echo', 'client', 4, 1], ['a server that answers by rules', 'server', 18, 2]]);
    const c = f.blocks[0];
    assert.deepEqual(c.steps.map((s) => [s.kind, s.line, s.column]), [
      ['connect', 5, 1], ['send', 6, 1], ['expect', 7, 1], ['send', 8, 1], ['expect', 9, 1], ['send', 10, 1], ['expect', 11, 1], ['expect', 12, 1], ['wait', 13, 1], ['half-close', 14, 1], ['expect', 15, 1], ['close', 16, 1],
    ]);
    assert.equal(c.steps[1].source, 'send "hello\\n"', 'the source drops the comment');
    assert.equal(step(f, 0, 0, 'connect').proto, 'tcp');
    assert.deepEqual(step(f, 0, 0, 'connect').address.map((p) => p.kind), ['var', 'lit', 'var']);
    assert.equal(step(f, 0, 6, 'expect').expect.kind, 'regex');
    assert.deepEqual(step(f, 0, 7, 'expect').expect, { kind: 'bytes', count: 4 });
    assert.equal(step(f, 0, 8, 'wait').ms, 200);
    assert.deepEqual(step(f, 0, 10, 'expect').expect, { kind: 'closed' });
    const reset = parseWire('connect tcp 1\nexpect reset within 2s   # an RST, not a FIN\n');
    assert.deepEqual(reset.diagnostics, []);
    assert.deepEqual(step(reset, 0, 1, 'expect').expect, { kind: 'reset' });
    assert.equal(step(reset, 0, 1, 'expect').withinMs, 2000);
    const rules = f.blocks[1].steps.filter((s) => s.kind === 'on');
    assert.deepEqual(rules.map((r) => (r.kind === 'on' ? r.matcher.kind : '')), ['text', 'regex', 'hex', 'any']);
    assert.equal(f.blocks[1].endpoint?.kind, 'listen');
  });

  it('reads udp and unix endpoints, encoding, framing, timeout, send file, within, after, close rules', () => {
    const f = parseWire(`### u
connect udp [::1]:9
encoding GBK
timeout 2s
send file "data dir/x.bin"
expect "ok" within 500ms
### x
listen unix /tmp/s.sock
framing len4le
on "a" reply "b" after 100ms
on "q" reply "bye" after 1.5s close
on "z" close
### un
connect unix ./rel.sock
framing line
half-close
expect closed within 1m
`);
    assert.deepEqual(f.diagnostics, []);
    assert.equal(step(f, 0, 0, 'connect').proto, 'udp');
    assert.equal(step(f, 0, 1, 'encoding').encoding, 'gbk');
    assert.equal(step(f, 0, 2, 'timeout').ms, 2000);
    const file = step(f, 0, 3, 'send').payload;
    assert.equal(file.kind, 'file');
    assert.equal(step(f, 0, 4, 'expect').withinMs, 500);
    assert.deepEqual(step(f, 1, 1, 'framing').framing, { kind: 'length', size: 4, endian: 'le' });
    assert.equal(step(f, 1, 2, 'on').afterMs, 100);
    assert.deepEqual([step(f, 1, 3, 'on').afterMs, step(f, 1, 3, 'on').close], [1500, true]);
    assert.deepEqual([step(f, 1, 4, 'on').reply, step(f, 1, 4, 'on').close], [undefined, true]);
    assert.equal(step(f, 2, 3, 'expect').withinMs, 60_000);
  });

  it('a block of sends only is saved messages; comments and variables only make no block; unnamed blocks are numbered', () => {
    const f = parseWire(`# just a comment
@a = 1
###
send "one"
send hex 02
###   greeting   # not a comment: part of the name
connect tcp 1
### empty
# nothing
`);
    assert.deepEqual(f.diagnostics, []);
    assert.deepEqual(f.blocks.map((b) => [b.kind, blockLabel(b)]), [['messages', 'block 1'], ['client', 'greeting   # not a comment: part of the name'], ['empty', 'empty']]);
  });

  it('# starts a comment only at the start of a word and outside strings and regexes', () => {
    const f = parseWire('connect tcp 1\nsend "a # b"  # c\nexpect /x#y/ # d\nsend hex 01#02\n');
    // "01#02" is one word: not a comment, and not hex either
    assert.equal(f.diagnostics.length, 1);
    assert.equal(f.diagnostics[0].line, 4);
    assert.equal(f.blocks[0].steps[1].source, 'send "a # b"');
    const e = step(f, 0, 2, 'expect').expect;
    assert.equal(e.kind === 'regex' ? String(e.regex) : e.kind, '/x#y/');
  });

  it('CRLF line ends and a BOM read the same as LF', () => {
    const lf = parseWire(issueExample);
    const crlf = parseWire(`\uFEFF${issueExample.replace(/\n/g, '\r\n')}`);
    assert.deepEqual(crlf.diagnostics, []);
    assert.deepEqual(crlf.blocks.map((b) => b.steps.map((s) => [s.line, s.column, s.source])), lf.blocks.map((b) => b.steps.map((s) => [s.line, s.column, s.source])));
  });
});

describe('wire parser: mistakes, each at its line:column, in English and Chinese', () => {
  const cases: [string, string, number, number, RegExp][] = [
    ['unknown step', 'connect tcp 1\nsned "x"\n', 2, 1, /unknown step "sned" — did you mean send\?/],
    ['unknown step without a near one', 'frobnicate\n', 1, 1, /a step is one of connect, listen/],
    ['no protocol', 'connect 127.0.0.1:80\n', 1, 9, /connect wants a protocol/],
    ['no address', 'connect tcp\n', 1, 12, /wants an address/],
    ['bad address', 'connect tcp localhost\n', 1, 13, /"localhost" is not an address/],
    ['port 0 to connect to', 'connect tcp 127.0.0.1:0\n', 1, 23, /port 0 cannot be connected to/],
    ['port beyond 65535', 'listen tcp 127.0.0.1:70000\n', 1, 22, /not a port/],
    ['unclosed string', 'connect tcp 1\nsend "abc\n', 2, 6, /no closing quote/],
    ['single quotes', 'connect tcp 1\nsend \'abc\'\n', 2, 6, /double quotes/],
    ['bad escape', 'connect tcp 1\nsend "ab\\qc"\n', 2, 9, /unknown escape \\q/],
    ['short \\x', 'connect tcp 1\nexpect "a\\x4"\n', 2, 10, /\\x needs exactly two hex digits/],
    ['bad hex digit', 'connect tcp 1\nsend hex 01 0g\n', 2, 14, /"g" is not a hex digit/],
    ['odd hex digits', 'connect tcp 1\nsend hex 012\n', 2, 10, /Odd number of hex digits/],
    ['hex with no bytes', 'connect tcp 1\nexpect hex within 1s\n', 2, 12, /hex wants bytes/],
    ['unclosed regex', 'connect tcp 1\nexpect /abc\n', 2, 8, /no closing slash/],
    ['regex that does not compile', 'connect tcp 1\nexpect /a(/\n', 2, 8, /does not compile/],
    ['regex flag g', 'connect tcp 1\nexpect /a/g\n', 2, 11, /flag "g" is not allowed/],
    ['empty regex', 'connect tcp 1\nexpect //\n', 2, 8, /empty regex/],
    ['expect with nothing', 'connect tcp 1\nexpect\n', 2, 7, /expect wants "text"/],
    ['expect bytes 0', 'connect tcp 1\nexpect bytes 0\n', 2, 14, /expect bytes wants a count/],
    ['duration without a unit', 'connect tcp 1\nwait 200\n', 2, 6, /wait 200 needs a unit: 200ms or 200s/],
    ['duration that is not one', 'connect tcp 1\nexpect "x" within soon\n', 2, 19, /within wants a duration/],
    ['duration beyond a timer', 'connect tcp 1\nwait 30000000s\n', 2, 6, /at most 2147s|at most \d+s/],
    ['unknown encoding', 'encoding klingon\nconnect tcp 1\n', 1, 10, /Unknown encoding "klingon"/],
    ['unknown framing', 'framing len3be\nconnect tcp 1\n', 1, 9, /framing wants one of/],
    ['trailing words', 'connect tcp 1\nhalf-close now\n', 2, 12, /unexpected "now" at the end of half-close/],
    ['rule without an action', 'listen tcp 0\non "a"\n', 2, 7, /a rule wants an action/],
    ['rule matcher missing', 'listen tcp 0\non reply "x"\n', 2, 4, /on wants "text"/],
    ['$1 in a rule without a regex', 'listen tcp 0\non "a" reply "$1"\n', 2, 1, /this rule has none/],
    ['$1 before any regex in a client', 'connect tcp 1\nsend "$1"\n', 2, 1, /no expect \/regex\/|there is none before this step/],
    ['send before connect', 'send "x"\nconnect tcp 1\n', 1, 1, /send comes before connect on line 2/],
    ['expect in a block without connect', 'send "x"\nexpect "y"\n', 2, 1, /expect needs a connection/],
    ['two endpoints in a block', 'connect tcp 1\nconnect tcp 2\n', 2, 1, /already did connect on line 1/],
    ['a rule in a client block', 'connect tcp 1\non any close\n', 2, 1, /belong in a server block/],
    ['a send in a server block', 'listen tcp 0\nsend "x"\n', 2, 1, /belongs in a client block/],
    ['literal text the encoding lacks, in a reply', 'listen tcp 0\nencoding gbk\non "a" reply "😀 b"\n', 3, 15, /"😀" \(position 1\) cannot be written in gbk/],
    ['literal text the encoding lacks, in a send', 'connect tcp 1\nencoding gbk\nsend "你好 😀"\n', 3, 10, /cannot be written in gbk/],
    ['half-close on udp', 'connect udp 1\nhalf-close\n', 2, 1, /UDP has no connection to half-close/],
    ['expect closed on udp', 'connect udp 1\nexpect closed\n', 2, 1, /expect closed is for tcp and unix/],
    ['expect reset on udp', 'connect udp 1\nexpect reset\n', 2, 1, /expect reset is for tcp and unix/],
    ['expect with an unknown word', 'connect tcp 1\nexpect fin\n', 2, 8, /bytes N, closed or reset/],
    ['framing on udp', 'connect udp 1\nframing line\n', 2, 1, /on UDP each datagram is one message/],
    ['unknown variable', 'connect tcp {{nope}}\n', 1, 15, /unknown variable \{\{nope\}\}/],
    ['unclosed template', 'connect tcp 1\nsend "{{host"\n', 2, 7, /"\{\{" is not closed/],
    ['unknown function', 'connect tcp 1\nsend "{{crc99:01}}"\n', 2, 9, /unknown function "crc99"/],
    ['random out of range', 'connect tcp 1\nsend "{{random:0}}"\n', 2, 16, /random:N\}\} wants a number of bytes/],
    ['checksum over non-hex', 'connect tcp 1\nsend hex {{crc32:zz}}\n', 2, 18, /"z" is not a hex digit/],
    ['checksum with no bytes', 'connect tcp 1\nsend hex {{sum8:}}\n', 2, 12, /wants the bytes as hex/],
    ['counter with an argument', 'connect tcp 1\nsend "{{counter:3}}"\n', 2, 17, /takes no argument/],
    ['variable without =', '@host 127.0.0.1\n', 1, 6, /@host = value/],
    ['variable with a bad name', '@1x = 2\n', 1, 2, /not a variable name/],
    ['variable named like a function', '@counter = 2\n', 1, 2, /is a built-in/],
    ['variable defined twice', '@a = 1\n@a = 2\n', 2, 1, /already defined on line 1/],
    ['variable through itself', '@a = {{b}}\n@b = {{a}}\n', 1, 1, /refers to itself \(a → b → a\)/],
    ['block name used twice', '### x\nconnect tcp 1\n### x\nconnect tcp 2\n', 3, 1, /a block named "x" already starts on line 1/],
  ];
  for (const [what, text, line, column, message] of cases) {
    it(`${what} → ${line}:${column}`, () => {
      const d = oneError(text);
      assert.deepEqual([d.line, d.column], [line, column], d.message);
      assert.match(d.message, message);
    });
  }

  it('a variable given from outside (--var) is no mistake', () => {
    assert.deepEqual(parseWire('connect tcp {{host}}:{{port}}\n', { variables: ['host', 'port'] }).diagnostics, []);
  });

  it('reports every mistake of a file, in line order, and still reads the rest', () => {
    const f = parseWire('connect tcp 1\nsend "\\q"\nwait 1\nexpect "ok"\nsned\n');
    assert.deepEqual(f.diagnostics.map((d) => d.line), [2, 3, 5]);
    assert.deepEqual(f.blocks[0].steps.map((s) => s.kind), ['connect', 'expect']);
  });
});

describe('wire templates', () => {
  const scope = (vars: Record<string, string> = {}, captures?: string[]) => {
    let n = 0;
    return { variable: (k: string) => vars[k], counter: () => ++n, captures, now: () => 1700000000 };
  };

  it('checksums match their published check values and go on the wire in their protocol order', () => {
    const check = Buffer.from('123456789');
    assert.equal(Buffer.from(checksum('crc16modbus', check)).toString('hex'), '374b'); // 0x4B37, low byte first
    assert.equal(Buffer.from(checksum('crc32', check)).toString('hex'), 'cbf43926');
    assert.equal(Buffer.from(checksum('sum8', Uint8Array.of(0xff, 0x02, 0x10))).toString('hex'), '11');
  });

  it('evaluates variables, counter, time, random, checksums (nested), and $N', () => {
    const t = (src: string) => parseTemplate(src, 1, { escapes: false, captures: true });
    const s = scope({ frame: '01 03 00 00 00 01' }, ['GET /a', '/a']);
    assert.equal(evalTemplate(t('{{counter}} {{counter}}').parts, s), '1 2');
    assert.equal(evalTemplate(t('{{time}}').parts, s), '1700000000');
    assert.match(evalTemplate(t('{{random:4}}').parts, s), /^[0-9a-f]{8}$/);
    assert.equal(evalTemplate(t('{{frame}} {{crc16modbus:{{frame}}}}').parts, s), '01 03 00 00 00 01 840a');
    assert.equal(evalTemplate(t('got $1 from {{$0}}').parts, s), 'got /a from GET /a');
    assert.throws(() => evalTemplate(t('{{nope}}').parts, s), (e: unknown) => e instanceof TemplateError && /unknown variable/.test(e.message) && e.column === 3);
    assert.throws(() => evalTemplate(t('$5').parts, s), /the last regex has 1 group/);
  });

  it('built-in names: {{local_host}} and {{local_port}} once the block has an address, {{pid}} {{uid}} {{gid}} of this process; a file\'s own @pid wins', () => {
    const t = (src: string) => parseTemplate(src, 1, { escapes: false, captures: false }).parts;
    assert.equal(evalTemplate(t('{{pid}} {{uid}} {{gid}}'), scope()), `${process.pid} ${process.geteuid!()} ${process.getegid!()}`);
    assert.equal(evalTemplate(t('{{local_host}}:{{local_port}}'), { ...scope(), local: { host: '127.0.0.1', port: 40312 } }), '127.0.0.1:40312');
    assert.throws(() => evalTemplate(t('x {{local_port}}'), scope()), (e: unknown) => e instanceof TemplateError && /use it after connect or listen/.test(e.message) && /connect 或 listen 之后/.test(e.messageZh) && e.column === 5);
    assert.equal(evalTemplate(t('{{pid}}'), scope({ pid: '7' })), '7', 'a variable of the same name wins: older scripts keep their meaning');
    const f = parseWire('@pid = 7\nconnect tcp 1\nexpect "you are {{local_host}}:{{local_port}} pid={{pid}} uid={{uid}} gid={{gid}}"\n');
    assert.deepEqual(f.diagnostics, [], 'built-ins are no unknown variables, and @pid is still allowed');
  });

  it('in a string, escapes become bytes, \\$ and \\{ are literal, and a variable\'s value is inserted as it is', () => {
    const p = parseTemplate('a\\n\\$1 \\{{x}} {{v}} \\\\{{v}}', 1, { escapes: true, captures: true });
    assert.deepEqual(p.problems, []);
    assert.equal(Buffer.from(textBytes(p.parts, scope({ v: '\\n' }), 'utf-8')).toString(), 'a\n$1 {{x}} \\n \\\\n');
    assert.deepEqual([...textBytes(parseTemplate('年', 1, { escapes: true, captures: false }).parts, scope(), 'gbk')], [0xc4, 0xea]);
  });

  it('file variables refer to each other; --var wins', () => {
    const f = parseWire('@host = 127.0.0.1\n@addr = {{host}}:{{port}}\n@port = 80\n');
    assert.deepEqual(f.diagnostics, []);
    assert.equal(variableResolver(f)('addr'), '127.0.0.1:80');
    assert.equal(variableResolver(f, new Map([['port', '8080']]))('addr'), '127.0.0.1:8080');
    assert.equal(variableResolver(f)('missing'), undefined);
  });
});

describe('wire parser: fuzzed (fixed seeds, bounded counts)', () => {
  const pieces = ['connect', 'listen', 'tcp', 'udp', 'unix', 'send', 'expect', 'on', 'reply', 'after', 'within', 'close', 'half-close', 'closed', 'reset', 'bytes', 'hex', 'file', 'any', 'wait', 'timeout', 'encoding', 'framing', 'gbk', 'line', 'len2be',
    '"', '"a\\n"', '"\\x', '/', '/a(b)/', '/[/]/i', '{{', '}}', '{{host}}', '{{crc32:01}}', '{{random:2}}', '$1', '\\', '#', '###', '@', '@x = 1', '=', '127.0.0.1:9', ':0', '200ms', '2s', '1.5m', '01', 'ff', 'zz', '年', '\t', ' ', '  ', '\u0000', '\ud800', '😀', '\r'];
  const r = prng(15);
  const line = () => Array.from({ length: Math.floor(r() * 7) }, () => pieces[Math.floor(r() * pieces.length)]).join(r() < 0.5 ? ' ' : '');

  it('never throws on 3,000 random scripts; every diagnostic points inside the text and has both languages', () => {
    for (let n = 0; n < 3000; n++) {
      const lines = Array.from({ length: 1 + Math.floor(r() * 8) }, line);
      const text = lines.join(r() < 0.2 ? '\r\n' : '\n');
      let f: WireFile;
      try {
        f = parseWire(text);
      } catch (e) {
        assert.fail(`parseWire threw on ${JSON.stringify(text)}: ${(e as Error).stack}`);
      }
      const rows = text.replace(/^\uFEFF/, '').split(/\r?\n/);
      for (const d of f.diagnostics) {
        assert.ok(d.line >= 1 && d.line <= rows.length, `line ${d.line} of ${rows.length} in ${JSON.stringify(text)}`);
        assert.ok(d.column >= 1 && d.column <= rows[d.line - 1].length + 1, `column ${d.column} of ${JSON.stringify(rows[d.line - 1])}`);
        assert.ok(d.message && d.messageZh, JSON.stringify(d));
      }
      for (const b of f.blocks) for (const s of b.steps) assert.ok(s.line >= 1 && s.line <= rows.length && s.column >= 1);
    }
  });

  it('a valid script with a step mutated still parses without throwing, and reports the mutated line', () => {
    const base = issueExample.split('\n');
    for (let n = 0; n < 500; n++) {
      const copy = [...base];
      const i = 4 + Math.floor(r() * 11); // a step line of the client block
      copy[i] = `${copy[i].slice(0, Math.floor(r() * copy[i].length))}${pieces[Math.floor(r() * pieces.length)]}`;
      const f = parseWire(copy.join('\n'));
      for (const d of f.diagnostics) assert.ok(d.line >= 1 && d.line <= copy.length);
    }
  });
});
