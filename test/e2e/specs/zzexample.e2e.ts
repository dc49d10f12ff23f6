// test/e2e/specs/sessions.e2e.ts
import * as assert from 'node:assert/strict';
import { answerInputBox, openSocketLabView, pickQuickItem, runCommand, treeRows, useVsCode } from '../harness';

describe('sessions', function () {
  const vsc = useVsCode({ trusted: true });               // one code-server for this describe

  it('starts a TCP echo server and lists it', async () => {
    await openSocketLabView(vsc.page);
    await runCommand(vsc.page, 'Socket Lab: Start TCP Server');
    await answerInputBox(vsc.page, '0', 'Start TCP Server'); // 0: the OS picks a free port
    await pickQuickItem(vsc.page, 'echo');
    assert.match((await treeRows(vsc.page, 'Connections')).join('\n'), /127\.0\.0\.1:\d+ listening/);
  });
});
