// Takes the README screenshot: `npx tsx test/e2e/readmeScreenshot.ts` → media/readme/workbench.png.
// Re-run it when the UI changes; it uses the same harness (and the same packaging) as the e2e specs.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import {
  answerInputBox,
  closeAll,
  launch,
  openSocketLabView,
  pickQuickItem,
  repoRoot,
  runCommand,
  screenshot,
  treeRow,
} from './harness';

const echoServer = `import socket

# A TCP echo server, the first lesson: Socket Lab can play either side of it.
with socket.create_server(("127.0.0.1", 8000)) as server:
    conn, addr = server.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
`;

/** 8000 reads best in the picture; take the next free port when it is busy. */
function freePort(from: number): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().once('error', () => resolve(freePort(from + 1)));
    s.listen(from, '127.0.0.1', () => s.close(() => resolve(from)));
  });
}

async function main(): Promise<void> {
  const port = await freePort(8000);
  const vsc = await launch({ files: { 'echo_server.py': echoServer }, viewport: { width: 1440, height: 860 } });
  const page = vsc.page;
  try {
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, String(port));
    await pickQuickItem(page, 'echo');
    await treeRow(page, `127.0.0.1:${port}`).waitFor();
    await runCommand(page, 'Socket Lab: Connect TCP Client');
    await answerInputBox(page, `127.0.0.1:${port}`);
    await runCommand(page, 'Socket Lab: Send Text');
    await pickQuickItem(page, /tcp-client/);
    await answerInputBox(page, 'hello, socket');
    await page.waitForTimeout(1500); // the echo comes back and the panel opens by itself
    const out = path.join(repoRoot, 'media', 'readme', 'workbench.png');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await page.screenshot({ path: out });
    console.log(out);
  } catch (e) {
    console.error('failed; see', await screenshot(page, 'readme-screenshot-failure'));
    throw e;
  } finally {
    await closeAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
