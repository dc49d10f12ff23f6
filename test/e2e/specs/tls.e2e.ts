// TLS sessions in a real VS Code: a TLS server started from the palette (a self-signed certificate made for the
// workspace), a TLS client connected to it from the palette (trusting Socket Lab's own certificate), a send from the
// panel echoed back, and the handshake summary in the panel's header and the Connections tooltip.
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Frame } from 'playwright-core';
import { answerFileDialog, answerInputBox, contextMenu, openFromTree, openSocketLabView, panelOpened, pickQuickItem, rowTooltip, runCommand, screenshot, treeRow, useVsCode, waitFor, waitForNotification } from '../harness';

describe('TLS sessions', function () {
  const vsc = useVsCode({ trusted: true, viewport: { width: 1400, height: 900 } });

  it('a TLS server and client from the palette talk; the header and the tooltip show the handshake', async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TLS Server');
    await answerInputBox(page, '0');
    await pickQuickItem(page, 'echo');
    const serverRow = treeRow(page, /127\.0\.0\.1:\d+\s*listening/);
    await serverRow.waitFor({ timeout: 20_000 });
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(await serverRow.innerText())![1]);

    await runCommand(page, 'Socket Lab: Connect TLS Client');
    await answerInputBox(page, `127.0.0.1:${port}`);
    await panelOpened(page, `127.0.0.1:${port}`);
    const clientRow = treeRow(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`));
    const frame: Frame = await openFromTree(page, clientRow, 'body[data-view="session"][data-ready="true"] .send-input');

    // the header: one line, opened for the certificate
    const line = frame.locator('.session-tls .tls-line');
    await waitFor('the TLS line', () => line.innerText(), (t) => /TLSv1\.3 · TLS_AES_\w+ · verified/.test(t));
    await line.click();
    const body = await waitFor('the certificate', () => frame.locator('.session-tls .tls-body').innerText(), (t) => t.includes('SHA-256'));
    assert.match(body, /CN=Socket Lab localhost/);
    assert.match(body, /DNS:localhost, IP Address:127\.0\.0\.1/);

    const input = frame.locator('.send-input input');
    await input.fill('hello tls');
    await input.press('Enter');
    await waitFor('the echo', () => frame.locator('.conv-list .chunk .chunk-body').allInnerTexts(), (t) => t.filter((x) => x.trim() === 'hello tls').length === 2);

    // the certificate the server made for this workspace is the one the client saw
    const fp = /SHA-256\s+([0-9A-F:]{95})/.exec(body)?.[1];
    assert.ok(fp, body);
    const certs = execFileSync('find', [vsc.vscode.userDataDir, '-name', 'tls-localhost.crt'], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
    assert.equal(certs.length, 1, certs.join(', '));
    assert.match(execFileSync('openssl', ['x509', '-in', certs[0], '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' }), new RegExp(fp));

    await screenshot(page, 'tls-panel');
    const tip = await rowTooltip(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open · .*TLSv1\\.3`), 'TLS client');
    assert.match(tip, /TLS: TLSv1\.3, TLS_AES_\w+/);
    assert.match(tip, /Server certificate: verified/);
    assert.match(tip, /SNI: none/); // an IP address is not sent as SNI
    await screenshot(page, 'tls-tooltip');
    // the server's tooltip says where its certificate is kept and how a client trusts it
    await page.keyboard.press('Escape');
    const serverTip = await rowTooltip(page, /127\.0\.0\.1:\d+\s*listening/, 'TLS server');
    assert.match(serverTip, /self-signed, kept in .*tls-localhost\.crt; clients trust it with --ca /);

    // the client's secrets, saved from its context menu, in the SSLKEYLOGFILE format
    await page.keyboard.press('Escape');
    const keys = path.join(vsc.vscode.workspace, 'keys.log');
    await contextMenu(page, new RegExp(`127\\.0\\.0\\.1:${port}\\s*open`), 'Save TLS Key Log…');
    await answerFileDialog(page, keys);
    await waitForNotification(page, /Saved 5 TLS secrets to .*keys\.log/);
    const labels = fs.readFileSync(keys, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]).sort();
    assert.deepEqual(labels, ['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'EXPORTER_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_TRAFFIC_SECRET_0']);
  });
});
