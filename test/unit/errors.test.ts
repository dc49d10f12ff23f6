import * as assert from 'node:assert/strict';
import { CodecError } from '../../src/core/codec/codecError';
import { errorLanguageFor, errorMessages, errorSentence, formatErrorMessage, localizeError, mapSocketError, SocketLabError } from '../../src/core/errors';

describe('errors: code + sentence with the fix', () => {
  it('every entry has English and Chinese with the same placeholders', () => {
    for (const [code, m] of Object.entries(errorMessages)) {
      const ph = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((x) => x[1]).sort();
      assert.deepEqual(ph(m['zh-cn']), ph(m.en), code);
      assert.match(m['zh-cn'], /[\u4e00-\u9fff]/, code);
    }
  });

  const cases: [string, object, string, RegExp, RegExp][] = [
    ['ECONNREFUSED', { host: '127.0.0.1', port: 8000 }, 'ECONNREFUSED', /^Nothing listens on 127\.0\.0\.1:8000 — start the server first/, /127\.0\.0\.1:8000 上没有程序在监听/],
    ['EADDRINUSE', { host: '127.0.0.1', port: 8000, holder: 'python3 (pid 42)' }, 'EADDRINUSE', /in use by python3 \(pid 42\)/, /占用者：python3 \(pid 42\)/],
    ['EACCES', { host: '0.0.0.0', port: 80 }, 'EACCES', /ports below 1024/, /1024 以下/],
    ['EPERM', { host: '0.0.0.0', port: 80 }, 'EACCES', /ports below 1024/, /管理员权限/],
    ['ECONNRESET', { host: '::1', port: 9 }, 'ECONNRESET', /The peer \[::1\]:9 reset the connection/, /重置了连接/],
    ['EPIPE', { host: '127.0.0.1', port: 9 }, 'EPIPE', /already closed/, /已关闭连接/],
    ['ETIMEDOUT', { host: '10.0.0.1', port: 9 }, 'ETIMEDOUT', /No answer from 10\.0\.0\.1:9/, /没有响应/],
    ['EHOSTUNREACH', { host: '10.9.9.9', port: 9 }, 'EHOSTUNREACH', /no route to 10\.9\.9\.9:9/, /无法到达/],
    ['ENOENT', { path: '/tmp/x.sock' }, 'ENOENT', /No socket exists at \/tmp\/x\.sock/, /没有套接字/],
    ['ECONNREFUSED', { path: '/tmp/x.sock' }, 'ECONNREFUSED', /No socket exists at \/tmp\/x\.sock — start the Unix server/, /请先启动 Unix 服务器/],
    ['EMSGSIZE', { host: '127.0.0.1', port: 9, size: 70000 }, 'EMSGSIZE', /70000 bytes is too large/, /太大/],
    ['ENOTFOUND', { host: 'exmaple.test', port: 80 }, 'ENOTFOUND', /"exmaple\.test" could not be resolved/, /无法解析主机名“exmaple\.test”/],
    ['EAI_AGAIN', { host: 'x.test', port: 80 }, 'EAI_AGAIN', /DNS did not answer/, /DNS 没有响应/],
    ['EADDRINUSE', { path: '/tmp/s.sock' }, 'EADDRINUSE', /delete the old socket file/, /删除旧的套接字文件/],
  ];
  for (const [raw, ctx, code, en, zh] of cases) {
    it(`maps ${raw} ${JSON.stringify(ctx)}`, () => {
      const e = mapSocketError(Object.assign(new Error('x'), { code: raw }), ctx);
      assert.equal(e.code, code);
      assert.match(e.message, en);
      assert.match(e.localized('zh-cn'), zh);
      assert.match(localizeError({ code: e.code, message: e.message, params: e.params, messageKey: e.messageKey }, 'zh-cn'), zh);
      assert.ok(!e.message.includes('\n    at '), 'no stack trace in the sentence');
    });
  }

  it('keeps an unknown code and its detail, and unwraps happy-eyeballs AggregateErrors', () => {
    const e = mapSocketError(Object.assign(new Error('boom'), { code: 'EWEIRD' }));
    assert.equal(e.code, 'EWEIRD');
    assert.equal(e.message, 'The socket failed (boom).');
    const agg = Object.assign(new AggregateError([Object.assign(new Error('r'), { code: 'ECONNREFUSED' })]), {});
    assert.equal(mapSocketError(agg, { host: 'localhost', port: 1 }).code, 'ECONNREFUSED');
    assert.equal(mapSocketError(e), e);
    assert.deepEqual(JSON.parse(JSON.stringify(new SocketLabError('ENOTARGET'))), { code: 'ENOTARGET', message: formatErrorMessage('ENOTARGET') });
  });

  it('picks the table language from a locale', () => {
    assert.equal(errorLanguageFor('zh-cn'), 'zh-cn');
    assert.equal(errorLanguageFor('zh-Hans'), 'zh-cn');
    assert.equal(errorLanguageFor('en-US'), 'en');
    assert.equal(errorLanguageFor(undefined), 'en');
  });
});

describe('errors: one sentence for whatever was thrown', () => {
  it('speaks for Socket Lab, codec and stored errors in the chosen language, and never gives a stack trace', () => {
    const refused = mapSocketError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), { host: '127.0.0.1', port: 9 });
    assert.deepEqual(errorSentence(refused, 'en'), { code: 'ECONNREFUSED', message: refused.message });
    assert.equal(errorSentence(refused, 'zh-cn').message, refused.localized('zh-cn'));
    assert.notEqual(errorSentence(refused, 'zh-cn').message, refused.message);
    const codec = new CodecError('EHEX', 'Bad hex digit "g".', '十六进制数字 "g" 无效。', 3);
    assert.deepEqual(errorSentence(codec, 'zh-cn'), { code: 'EHEX', message: '十六进制数字 "g" 无效。' });
    // a session's stored error is a plain object after it crossed a boundary
    const stored = JSON.parse(JSON.stringify({ code: refused.code, message: refused.message, params: refused.params }));
    assert.equal(errorSentence(stored, 'zh-cn').message, refused.localized('zh-cn'));
    const plain = errorSentence(new TypeError('x is not a function'), 'zh-cn');
    assert.deepEqual(plain, { code: 'EUNKNOWN', message: 'x is not a function' });
    assert.deepEqual(errorSentence('just text', 'en'), { code: 'EUNKNOWN', message: 'just text' });
  });
});
