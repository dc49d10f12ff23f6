// Programs run with Socket Lab (issue 13, items 6 and 7): a killed run leaves "running", Stop from the row's menu,
// a second run of the same file asks first, and "Address already in use" names the Socket Lab run and replaces it.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import type { Page } from 'playwright-core';
import { clearNotifications, commandTitle, contextMenu, openSocketLabView, runCommand, treeRows, useVsCode, waitForNotification, openWorkspaceFile } from '../harness';
import { freePortSync } from '../../support';

const FORK_PORT = freePortSync();
const PORT = freePortSync([FORK_PORT]);

// a forking server, as in many tutorials: each connection is served by a child, which shares the program's output
const forkPy = `import os, socket
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ${FORK_PORT}))
srv.listen()
print("listening", flush=True)
while True:
    conn, addr = srv.accept()
    if os.fork() == 0:
        srv.close()
        while True:
            d = conn.recv(1024)
            if not d:
                break
            conn.sendall(d)
        os._exit(0)
    conn.close()
`;

const serverPy = `import socket
srv = socket.socket()
srv.bind(("127.0.0.1", ${PORT}))
srv.listen()
print("listening on", ${PORT}, flush=True)
while True:
    conn, addr = srv.accept()
    conn.close()
`;

async function run(page: Page, id: string): Promise<void> {
  const title = commandTitle(id)!;
  try {
    await runCommand(page, title);
  } catch {
    await page.keyboard.press('Escape');
    await runCommand(page, title);
  }
}

/** Polls the Connections rows until one matches; returns it. */
async function waitForRow(page: Page, re: RegExp, timeoutMs = 30_000): Promise<string> {
  const end = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < end) {
    rows = await treeRows(page, 'Connections').catch(() => []);
    const hit = rows.find((r) => re.test(r));
    if (hit) return hit;
    await page.waitForTimeout(300);
  }
  throw new Error(`no Connections row matching ${re}; rows: ${JSON.stringify(rows)}`);
}

async function rowsMatching(page: Page, re: RegExp): Promise<string[]> {
  return (await treeRows(page, 'Connections').catch(() => [] as string[])).filter((r) => re.test(r));
}

describe('programs run with Socket Lab: end, stop, run twice', function () {
  const vsc = useVsCode({ trusted: true, files: { 'fork_server.py': forkPy, 'holder.py': serverPy } });
  const clients: net.Socket[] = [];
  after(() => clients.forEach((c) => c.destroy()));

  it('kill -9 of the run\'s pid ends the run in the tree, though a forked child still holds its output', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'fork_server.py');
    await run(page, 'socketLab.file.run');
    await openSocketLabView(page);
    const row = await waitForRow(page, /fork_server\.py running · pid \d+/);
    const pid = Number(/pid (\d+)/.exec(row)![1]);
    // a connection makes the program fork a child that inherits its stdout
    const c = net.connect(FORK_PORT, '127.0.0.1');
    clients.push(c);
    await new Promise((r, j) => c.once('connect', r).once('error', j));
    c.write('x');
    await new Promise((r) => c.once('data', r));
    process.kill(pid, 'SIGKILL');
    await waitForRow(page, /fork_server\.py stopped/, 10_000);
    assert.deepEqual(await rowsMatching(page, /fork_server\.py running/), []);
    c.destroy();
  });

  it('Stop from the row\'s context menu stops a running program, and Clear Closed removes finished runs', async () => {
    const page = vsc.page;
    await clearNotifications(page);
    await openWorkspaceFile(page, 'holder.py');
    await run(page, 'socketLab.file.run');
    await waitForRow(page, /^holder\.py running · pid \d+/);
    await contextMenu(page, /holder\.py\s*running/, 'Stop Program');
    await waitForRow(page, /^holder\.py stopped/, 10_000);
    await run(page, 'socketLab.session.clearClosed');
    const end = Date.now() + 10_000;
    while ((await rowsMatching(page, /stopped/)).length && Date.now() < end) await page.waitForTimeout(300);
    assert.deepEqual(await rowsMatching(page, /\.py stopped/), []);
  });

  it('running the same file twice warns; "Address already in use" names the Socket Lab run and "Stop it and run again" replaces it', async () => {
    const page = vsc.page;
    await clearNotifications(page);
    await openWorkspaceFile(page, 'holder.py');
    await run(page, 'socketLab.file.run');
    const first = await waitForRow(page, /^holder\.py running · pid \d+/);
    const firstPid = /pid (\d+)/.exec(first)![1];
    // wait until the first run listens, so the second one meets EADDRINUSE
    await waitForRow(page, new RegExp(`127\\.0\\.0\\.1:${PORT}.*LISTEN`));
    await run(page, 'socketLab.file.run');
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 20_000 });
    assert.match(await dialog.innerText(), new RegExp(`holder\\.py is already running \\(pid ${firstPid}\\)`));
    await dialog.locator('.monaco-button', { hasText: 'Run Anyway' }).click();
    const toast = await waitForNotification(page, new RegExp(`holder\\.py: Address already in use: port ${PORT} is held by your Socket Lab run of holder\\.py \\(pid ${firstPid}\\)`), 30_000);
    await toast.locator('.monaco-button', { hasText: 'Stop it and run again' }).click();
    // the first run stops, a new one runs and listens
    const end = Date.now() + 30_000;
    let running: string[] = [];
    while (Date.now() < end) {
      running = await rowsMatching(page, /^holder\.py running · pid \d+/);
      if (running.length === 1 && !running[0].includes(`pid ${firstPid}`)) break;
      await page.waitForTimeout(300);
    }
    assert.equal(running.length, 1, JSON.stringify(running));
    assert.doesNotMatch(running[0], new RegExp(`pid ${firstPid}\\b`));
    await waitForRow(page, new RegExp(`127\\.0\\.0\\.1:${PORT}.*LISTEN`));
    assert.ok((await rowsMatching(page, /^holder\.py stopped/)).length >= 2, 'the first run and the refused second run are stopped');
  });
});
