// Takes the README screenshot: `npx tsx test/e2e/readmeScreenshot.ts` → media/readme/workbench.png.
// Re-run it when the UI changes; it uses the same harness (and the same packaging) as the e2e specs.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { closeAll, launch, openSocketLabView, repoRoot, runCommand } from './harness';

const echoServer = `import socket

# A TCP echo server: Socket Lab's "Connect TCP Client" talks to it on 127.0.0.1:8000.
with socket.create_server(("127.0.0.1", 8000)) as server:
    conn, addr = server.accept()
    with conn:
        while data := conn.recv(4096):
            conn.sendall(data)
`;

async function main(): Promise<void> {
  const vsc = await launch({ files: { 'echo_server.py': echoServer }, viewport: { width: 1280, height: 760 } });
  try {
    await openSocketLabView(vsc.page);
    await runCommand(vsc.page, 'Go to File...');
    await vsc.page.keyboard.type('echo_server.py');
    await vsc.page.locator('.quick-input-list .monaco-list-row', { hasText: 'echo_server.py' }).first().waitFor();
    await vsc.page.keyboard.press('Enter');
    await vsc.page.locator('.monaco-editor .view-lines', { hasText: 'create_server' }).waitFor();
    await runCommand(vsc.page, 'Socket Lab: About');
    await vsc.page.locator('.notifications-toasts .notification-toast').first().waitFor();
    await vsc.page.waitForTimeout(800); // let the toast finish sliding in before the picture
    const out = path.join(repoRoot, 'media', 'readme', 'workbench.png');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    await vsc.page.screenshot({ path: out });
    console.log(out);
  } finally {
    await closeAll();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
