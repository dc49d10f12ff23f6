// The call recorder in a real VS Code: Run File on a Python program whose two sendall()s arrive in one recv(); the recv
// line ends with its result and hovering it lists the call, with the bytes of both sends.
import * as assert from 'node:assert/strict';
import { commandTitle, hintAfter, openWorkspaceFile, runCommand, screenshot, useVsCode, waitFor } from '../harness';
import { STICKY_PY as sticky } from '../../fixtures/trace/sticky';

describe('socket-call hints in the editor', function () {
  const vsc = useVsCode({ trusted: true, files: { 'sticky.py': sticky } });

  it('Run File: the recv line shows that it got both sends\' bytes, and its hover lists the call', async () => {
    const page = vsc.page;
    await openWorkspaceFile(page, 'sticky.py');
    await runCommand(page, commandTitle('socketLab.file.run')!);
    const hint = await waitFor('the recv line\'s hint', () => hintAfter(page, 'data = conn.recv(1024)'), (h) => h.includes('recv'), 30_000);
    assert.match(hint, /recv → 11 B 'applebanana' · 2 sends merged/); // both sends' bytes in one recv: sticky packets
    assert.match(await hintAfter(page, 'c.sendall(b"banana")'), /sendall → 6 B 'banana'/);
    assert.match(await hintAfter(page, 'conn, _ = srv.accept()'), /accept → 127\.0\.0\.1:\d+/);
    await page.locator('.view-line', { hasText: 'data = conn.recv(1024)' }).hover();
    const hover = page.locator('.monaco-hover:visible', { hasText: 'Socket calls from this line' });
    await hover.waitFor({ timeout: 15_000 });
    assert.match(await hover.innerText(), /recv → 11 B 'applebanana'/);
    await screenshot(page, 'call-hints');
  });
});
