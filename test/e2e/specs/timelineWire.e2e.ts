// The timeline linked to a capture in a real VS Code: a capture of lo runs while Run File runs a Python program whose
// two sends arrive in one recv; the timeline shows the connection's packets under the lanes, the recv's details name
// the two frames that carried its bytes and the two sends' lines, and a frame link opens the packet panel at that frame.
import * as assert from 'node:assert/strict';
import type { Frame, Page } from 'playwright-core';
import { answerInputBox, commandTitle, findFrame, openSocketLabView, openWorkspaceFile, pickQuickItem, runCommand, screenshot, setColorTheme, treeRow, useVsCode, waitFor } from '../harness';

const PORT = 45000 + Math.floor(Math.random() * 2000);
const PROGRAM = `import socket, threading, time
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", ${PORT}))
srv.listen()
def serve():
    conn, _ = srv.accept()
    time.sleep(0.3)
    data = conn.recv(1024)
    conn.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection(("127.0.0.1", ${PORT}))
c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
c.sendall(b"apple")
c.sendall(b"banana")
c.close()
t.join()
`;

const SERVER_PORT = 47000 + Math.floor(Math.random() * 2000);
const CLIENT = `import socket, time
c = socket.create_connection(("127.0.0.1", ${SERVER_PORT}))
c.sendall(b"hello")
time.sleep(0.3)
data = c.recv(1024)
c.close()
`;

/** Starts a capture of lo filtered to the program's port (the packet panel it opens stays behind the editor). */
async function startCapture(page: Page): Promise<void> {
  await runCommand(page, commandTitle('socketLab.capture.start')!);
  const lo = page.locator('.quick-input-widget .quick-input-list .monaco-list-row').filter({ hasText: /^lo/ }).first();
  await lo.waitFor({ timeout: 30_000 });
  await lo.click();
  await answerInputBox(page, `tcp port ${PORT}`, /Capture filter/);
  // its page built: the keyboard (Quick Open next) reaches the workbench again
  await findFrame(page, '.pk-app[data-ready="true"]');
}

/** The timeline frame once it shows the run's packets under its lanes. */
async function timelineWithPackets(page: Page): Promise<Frame> {
  await runCommand(page, commandTitle('socketLab.timeline.show')!);
  const frame = await findFrame(page, '.tl-app[data-ready="true"]');
  // the packets reach the extension in the helper's batches: the band appears once the recorded calls meet them
  await waitFor('packets under the lanes', async () => {
    await frame.locator('.tl-svgbox').press('0');
    await page.waitForTimeout(300);
    return frame.locator('.tl-pkt').count();
  }, (n) => n >= 8, 30_000);
  return frame;
}

describe('socket-call timeline with a capture', function () {
  const vsc = useVsCode({ trusted: true, files: { 'wire.py': PROGRAM, 'client.py': CLIENT }, viewport: { width: 1500, height: 900 } });

  it("shows the packets under the lanes, names the recv's two frames and sends, and a frame link opens the packet panel there", async () => {
    const page = vsc.page;
    await startCapture(page);
    await openWorkspaceFile(page, 'wire.py');
    await runCommand(page, commandTitle('socketLab.file.run')!);
    const frame = await timelineWithPackets(page);
    await frame.locator('.tl-call[data-call="recv"] rect').first().click();
    const details = frame.locator('.tl-details');
    const summary = await waitFor('the recv\'s wire summary', () => frame.locator('.tl-wire-summary').textContent(), (s) => !!s);
    const m = /^This recv returned bytes 0–10, which arrived in 2 segments \(frames (\d+) and (\d+)\), sent by 2 sends at wire\.py:15 and :16\.$/.exec(summary ?? '');
    assert.ok(m, summary ?? '');
    const frames = [m[1], m[2]];
    // the band marks the same two frames, and the details link each
    assert.deepEqual(await frame.locator('.tl-pkt.linked').evaluateAll((ts) => ts.map((t) => t.getAttribute('data-frame'))), frames);
    assert.deepEqual(await details.locator('.tl-frame-link').allTextContents(), frames.map((f) => `frame ${f}`));
    await runCommand(page, 'View: Hide Panel'); // the terminal's room goes to the timeline in the screenshots
    for (const [theme, name] of [['Light Modern', 'light'], ['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(page, theme);
      await page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(page, `timeline-wire-${name}`);
    }
    // the second frame's link: the packet panel shows and selects that packet
    await details.locator('.tl-frame-link', { hasText: `frame ${frames[1]}` }).click();
    const packets = await findFrame(page, `.pk-app[data-selected="${frames[1]}"]`);
    const info = await packets.locator('.pk-row.selected .pk-c-info').innerText();
    assert.match(info, new RegExp(`\\d+ → ${PORT} \\[PSH, ACK\\] .*Len=6`), info);
  });

  it("a traced client of a Socket Lab echo server: its recv names the session's chunk, and the link selects it in the session panel", async () => {
    const page = vsc.page;
    await openSocketLabView(page);
    await runCommand(page, 'Socket Lab: Start TCP Server');
    await answerInputBox(page, String(SERVER_PORT));
    await pickQuickItem(page, 'echo');
    await treeRow(page, new RegExp(`127\\.0\\.0\\.1:${SERVER_PORT}\\s*listening`)).waitFor({ timeout: 20_000 });
    await openWorkspaceFile(page, 'client.py');
    await runCommand(page, commandTitle('socketLab.file.run')!);
    // the timeline shows client.py's run once it is recorded (until then, the latest run of any file: wire.py's)
    const recv = '.tl-call[data-call="recv"][data-line="5"]';
    const frame = await waitFor('client.py\'s run in the timeline', async () => {
      await openWorkspaceFile(page, 'client.py');
      await runCommand(page, commandTitle('socketLab.timeline.show')!);
      const f = await findFrame(page, '.tl-app[data-ready="true"]');
      await f.locator('.tl-svgbox').press('0');
      return (await waitFor('its recv', () => f.locator(recv).count(), (n) => n === 1, 3_000).catch(() => 0)) ? f : undefined;
    }, (f) => !!f, 30_000);
    await frame!.locator(`${recv} rect`).click();
    const link = frame!.locator('.tl-chunks-link');
    const text = await waitFor('the chunks link', () => link.textContent(), (v) => !!v);
    // the echo's chunk (the session's second: #0 is what it received)
    const m = /^chunk #(\d+) of session 127\.0\.0\.1:\d+$/.exec(text ?? '');
    assert.ok(m, text ?? '');
    const seq = m[1];
    // the session's lane beside the client's: its two chunks, dashed arrows from the send into the one it received
    // and from the one it sent into the recv
    assert.match((await frame!.locator('.tl-lane-label.tl-socketlab').getAttribute('title')) ?? '', /^Socket Lab session · 127\.0\.0\.1:\d+ ⇄ 127\.0\.0\.1:\d+$/);
    assert.deepEqual(await frame!.locator('.tl-chunk').evaluateAll((cs) => cs.map((c) => `${c.getAttribute('data-dir')}#${c.getAttribute('data-chunk')}`)), ['in#0', `out#${seq}`]);
    const recvId = await frame!.locator(recv).getAttribute('data-id');
    assert.equal(await frame!.locator(`.tl-link-sl[data-call="${recvId}"][data-chunk="${seq}"]`).count(), 1);
    assert.equal(await frame!.locator('.tl-link-sl[data-chunk="0"]').count(), 1);
    for (const [theme, name] of [['Dark Modern', 'dark'], ['Dark High Contrast', 'hc']] as const) {
      await setColorTheme(page, theme);
      await page.waitForTimeout(500); // the webview repaints after the theme variables change
      await screenshot(page, `timeline-wire-session-lane-${name}`);
    }
    await link.click();
    const session = await findFrame(page, `.chunk.picked[data-seq="${seq}"]`);
    const chunk = session.locator(`.chunk.picked[data-seq="${seq}"]`);
    assert.match((await chunk.getAttribute('class')) ?? '', /\bout\b/);
    assert.match(await chunk.innerText(), /hello/);
    await screenshot(page, 'timeline-wire-session-hc'); // the selected chunk readable in high contrast
    await setColorTheme(page, 'Dark Modern');
    await page.waitForTimeout(500); // the webview repaints after the theme variables change
    await screenshot(page, 'timeline-wire-session-dark');
  });
});
