// TLS decryption in the packet panel of a real VS Code: a dumpcap capture of Python ssl peers (TLS 1.3) and the
// client's key log; Load TLS Key Log… from the palette, then the capture opened: the request shows as HTTP inside
// its TLS record, its field tree has the decrypted HTTP under Transport Layer Security.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { LoopbackCapture } from '../../../src/core/capture/loopbackCapture';
import { answerFileDialog, commandTitle, findFrame, repoRoot, runCommand, screenshot, setColorTheme, useVsCode, waitFor, waitForNotification } from '../harness';
import { freePort } from '../../support';

async function makeCapture(dir: string): Promise<{ file: string; keys: string }> {
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  const port = await freePort();
  const keys = path.join(dir, 'keys.log');
  const cap = await LoopbackCapture.start(path.join(dir, 'tls.pcapng'), `tcp port ${port}`);
  assert.ok(typeof cap !== 'string', String(cap));
  try {
    execFileSync('python3', [path.join(repoRoot, 'test', 'fixtures', 'tls', 'pair.py'), String(port), '1.3', '', keys, dir], { timeout: 30_000, stdio: 'ignore' });
  } finally {
    await cap.stop();
  }
  return { file: cap.file, keys };
}

describe('TLS decryption in the packet panel', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1500, height: 900 } });
  let made: { file: string; keys: string };
  let tmp: string;
  before(async function () {
    if (process.getuid?.() !== 0) return this.skip();
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'sl-e2e-tls-'));
    made = await makeCapture(tmp);
  });
  after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

  it('loads a key log from the palette; the opened capture shows the request as HTTP decrypted under its TLS record', async () => {
    const page: Page = vsc.page;
    const keys = path.join(vsc.vscode.workspace, 'sslkeys.log');
    const capture = path.join(vsc.vscode.workspace, 'https.pcapng');
    fs.copyFileSync(made.keys, keys);
    fs.copyFileSync(made.file, capture);
    await page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: 30_000 });
    await runCommand(page, commandTitle('socketLab.capture.loadTlsKeyLog')!);
    await answerFileDialog(page, keys);
    await waitForNotification(page, /Loaded 5 TLS secrets from .*sslkeys\.log/);
    await runCommand(page, commandTitle('socketLab.capture.openFile')!);
    await answerFileDialog(page, capture);
    const frame: Frame = await findFrame(page, '.pk-app[data-ready="true"]');
    const request = frame.locator('.pk-row', { hasText: 'GET /secret HTTP/1.1' }).first();
    await request.waitFor({ timeout: 20_000 });
    assert.equal((await request.locator('.pk-c-protocol').innerText()).trim(), 'HTTP');
    await request.click();
    await frame.locator('.pk-item[data-field="tls"]').waitFor({ timeout: 10_000 });
    const http = frame.locator('.pk-item[data-field="http"]');
    await http.waitFor({ timeout: 10_000 });
    await http.click();
    await http.press('ArrowRight');
    const uri = frame.locator('.pk-item[data-field="http.request.uri"]');
    await waitFor('the decrypted request line', () => uri.innerText(), (t) => t.includes('/secret'));
    // its bytes are in the decrypted record, a tab of their own beside the frame's
    await uri.click();
    await waitFor('the decrypted bytes tab', () => frame.locator('.pk-source[aria-selected="true"]').innerText(), (t) => /^Decrypted TLS \(\d+ bytes\)$/.test(t));
    const lit = await waitFor('the URI\'s bytes lit', async () => (await frame.locator('.hex-view .hb.field').allInnerTexts()).map((x) => x.trim()).join(' '), (x) => x.length > 0);
    assert.equal(lit, Buffer.from('/secret').toString('hex').match(/../g)!.join(' '));
    await screenshot(page, 'tls-decrypted-bytes');
    // the frame's tab again: the ciphertext
    await frame.locator('.pk-source', { hasText: /^Frame \(/ }).click();
    await waitFor('the frame tab', () => frame.locator('.pk-source[aria-selected="true"]').innerText(), (t) => t.startsWith('Frame ('));
    // the response, 40,000 bytes over several records, and the handshake the key log opened
    assert.ok(await frame.locator('.pk-row', { hasText: /Encrypted Extensions, Certificate, Certificate Verify, Finished/ }).count() > 0);
    await screenshot(page, 'tls-decrypted-dark');
    await setColorTheme(page, 'Light Modern');
    await screenshot(page, 'tls-decrypted-light');
  });
});
