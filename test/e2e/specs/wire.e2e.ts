// Wire scripts in the editor (issue 15): Run a client block from its CodeLens against a student's Python server and
// see ✓ and ✗ after the steps; Serve a rules block and reach it from a Python client.
import * as assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import type { Locator, Page } from 'playwright-core';
import { answerInputBox, panelOpened, pickQuickItem, runCommand, screenshot, treeRow, treeRows, openSocketLabView, useVsCode, waitFor, waitForQuickInput, openWorkspaceFile } from '../harness';
import { pythonEcho } from '../peers';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { freePortSync } from '../../support';

const PY_PORT = freePortSync();
const RULES_PORT = freePortSync([PY_PORT]);

const checkWire = `# checks the upper-case server
@port = ${PY_PORT}

### good
connect tcp 127.0.0.1:{{port}}
send "hello\\n"
expect "HELLO\\n"
close

### bad
connect tcp 127.0.0.1:{{port}}
send "abc\\n"
expect "abc\\n" within 500ms
close
`;

const messagesWire = `# saved messages: buttons in every session panel
### greeting
send "hi there\\n"
`;

const rulesWire = `### pong server
listen tcp 127.0.0.1:${RULES_PORT}
on "PING\\n" reply "PONG\\n"
on any reply "?\\n"
`;

/** A student's upper-case server on a fixed port. */
function pythonUpper(port: number): ChildProcess {
  const code = [
    'import socket',
    's = socket.socket()',
    's.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)',
    `s.bind(("127.0.0.1", ${port}))`,
    's.listen()',
    'print("ready", flush=True)',
    'while True:',
    '    c, _ = s.accept()',
    '    while (d := c.recv(4096)):',
    '        c.sendall(d.upper())',
    '    c.close()',
  ].join('\n');
  return spawn('python3', ['-c', code], { stdio: ['ignore', 'pipe', 'inherit'] });
}

/** The CodeLens links whose text is exactly `title` (the icon is a glyph beside it). */
function lenses(page: Page, title: string): Locator {
  return page.locator('.monaco-editor .codelens-decoration a').filter({ hasText: new RegExp(`^\\W*${title}\\W*$`) });
}

/** The text a line of the editor shows, with the decorations' after-text (VS Code renders it as injected text). */
async function lineTexts(page: Page): Promise<string[]> {
  return page.locator('.monaco-editor .view-lines .view-line').evaluateAll((rows) =>
    rows
      .sort((a, b) => parseFloat((a as HTMLElement).style.top) - parseFloat((b as HTMLElement).style.top))
      .map((r) => {
        const after = [...r.querySelectorAll('span')].map((s) => getComputedStyle(s, '::after').content).filter((c) => c && c !== 'none' && c !== 'normal');
        return `${r.textContent ?? ''} ${after.join(' ')}`.replace(/\u00a0/g, ' ');
      }),
  );
}

describe('wire scripts in the editor', function () {
  const vsc = useVsCode({ trusted: true, files: { 'check.wire': checkWire, 'rules.wire': rulesWire, 'messages.wire': messagesWire } });
  let py: ChildProcess | undefined;
  before(async () => {
    py = pythonUpper(PY_PORT);
    await new Promise<void>((resolve, reject) => {
      py!.stdout!.once('data', () => resolve());
      py!.once('exit', (c) => reject(new Error(`the Python server ended (${c})`)));
    });
  });
  after(() => py?.kill());

  it('runs a client block from its CodeLens: ✓ after each step of the good one, ✗ with expected vs got on the bad one', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'check.wire');
    const run = lenses(page, 'Run');
    await waitFor('two Run lenses', () => run.count(), (n) => n === 2, 30_000);
    await run.first().click();
    const good = await waitFor('✓ on the good block', () => lineTexts(page), (l) => l.filter((t) => /✓ \d/.test(t)).length === 4, 20_000);
    assert.match(good.find((t) => t.includes('expect "HELLO'))!, /✓ [\d.]+ ms/);
    await run.last().click();
    const bad = await waitFor('✗ on the bad expect', () => lineTexts(page), (l) => l.some((t) => /expect "abc.*✗/.test(t)), 20_000);
    const failed = bad.find((t) => /expect "abc/.test(t))!;
    assert.match(failed, /✗ \d+/);
    assert.ok(bad.some((t) => /^close.*skipped/.test(t.trim())), 'the step after the failure is skipped');
    await screenshot(page, 'wire-run');
  });

  it('serves a rules block from its CodeLens: a Python client gets the rule\'s reply, the lens counts the hit, Connections lists the server', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'rules.wire');
    await lenses(page, 'Serve').first().click({ timeout: 30_000 });
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: `serving on 127.0.0.1:${RULES_PORT}, 0 rule hits` }).waitFor({ timeout: 20_000 });
    const reply = execFileSync('python3', ['-c', [
      'import socket',
      `s = socket.create_connection(("127.0.0.1", ${RULES_PORT}))`,
      's.sendall(b"PING\\n")',
      'print(s.recv(100).decode(), end="")',
    ].join('\n')], { encoding: 'utf8', timeout: 15_000 });
    assert.equal(reply, 'PONG\n');
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: '1 rule hits' }).waitFor({ timeout: 20_000 });
    // each rule's line counts its own answers
    const counted = await waitFor('per-rule hits', () => lineTexts(page), (l) => l.some((t) => /on "PING.*answered 1×/.test(t)) && l.some((t) => /on any.*answered 0×/.test(t)));
    assert.ok(counted.length > 0);
    await openSocketLabView(page);
    const rows = await treeRows(page);
    assert.ok(rows.some((r) => r.includes(`127.0.0.1:${RULES_PORT}`)), rows.join('\n'));
    await screenshot(page, 'wire-serve');
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: 'Stop (serving on' }).first().click();
    await page.locator('.monaco-editor .codelens-decoration a', { hasText: /^\W*Serve\W*$/ }).first().waitFor({ timeout: 20_000 });
  });

  it('sends a saved message from the session panel with one click, and saves what the box holds as a new one', async () => {
    const page = vsc.page;
    const echo = await pythonEcho('tcp');
    try {
      await runCommand(page, 'Socket Lab: Connect TCP Client');
      await waitForQuickInput(page);
      await page.keyboard.type(`127.0.0.1:${echo.port}`);
      await page.keyboard.press('Enter');
      const frame = await panelOpened(page, `127.0.0.1:${echo.port}`);
      const greeting = frame.locator('.send-saved .saved-message', { hasText: 'greeting' });
      await greeting.waitFor({ timeout: 20_000 });
      assert.match((await greeting.getAttribute('title')) ?? '', /messages\.wire, line 2/);
      await greeting.click();
      await waitFor('Python to get the saved message', async () => echo.lines, (l) => l.includes('got hi there'));
      await frame.locator('.send-status', { hasText: 'Sent "greeting": 9 bytes.' }).waitFor({ timeout: 10_000 });
      // Save as message…: the box's text becomes a block of messages.wire and a button of its own
      await frame.locator('.send-input input').fill('PING 1');
      await frame.locator('.save-message').click();
      await pickQuickItem(page, 'messages.wire');
      await answerInputBox(page, 'ping', /Save as message/);
      await frame.locator('.send-saved .saved-message', { hasText: 'ping' }).waitFor({ timeout: 20_000 });
      assert.match(fs.readFileSync(path.join(vsc.vscode.workspace, 'messages.wire'), 'utf8'), /### greeting\nsend "hi there\\n"\n\n### ping\nsend "PING 1"\n$/);
      await frame.locator('.send-saved .saved-message', { hasText: 'ping' }).click();
      await waitFor('Python to get the new message', async () => echo.lines, (l) => l.includes('got PING 1'));
      await screenshot(page, 'wire-saved-messages');
    } finally {
      echo.proc.kill();
    }
  });

  it('Answer by Rules… switches a running echo server to a .wire block\'s rules, and Switch Behaviour switches it back', async () => {
    const page = vsc.page;
    const port = freePortSync([PY_PORT, RULES_PORT]);
    const ask = (text: string) => execFileSync('python3', ['-c', [
      'import socket',
      `s = socket.create_connection(("127.0.0.1", ${port}))`,
      `s.sendall(${JSON.stringify(text)}.encode())`,
      'print(s.recv(100).decode(), end="")',
    ].join('\n')], { encoding: 'utf8', timeout: 15_000 });
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, String(port));
    await pickQuickItem(page, 'echo');
    await treeRow(page, `127.0.0.1:${port}`).waitFor({ timeout: 30_000 });
    assert.equal(ask('PING\n'), 'PING\n', 'echo first');
    await runCommand(page, 'Socket Lab: Answer by Rules…');
    await pickQuickItem(page, `127.0.0.1:${port}`);
    await pickQuickItem(page, 'pong server');
    assert.equal(ask('PING\n'), 'PONG\n', 'the rules answer now');
    assert.equal(ask('what\n'), '?\n');
    await runCommand(page, 'Socket Lab: Switch Behaviour…');
    await pickQuickItem(page, `127.0.0.1:${port}`);
    await pickQuickItem(page, 'echo');
    assert.equal(ask('PING\n'), 'PING\n', 'echo again');
  });
});
