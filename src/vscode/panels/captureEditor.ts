// Double-clicking a .pcap/.pcapng/.cap file opens its packets: a read-only custom editor that hosts the packet panel.
// Reading a file runs nothing and captures nothing, so it works in Restricted Mode too.
import { spawn } from 'node:child_process';
import * as vscode from 'vscode';
import { findExecutable } from '../../core/pathLookup';
import { registerCommand } from '../commands';
import { openCaptureFile, type PacketPanelManager } from './packetPanel';
import { requireTrust } from '../trust';
import { messageHtml } from './webviewHtml';

export const captureEditorViewType = 'socketLab.captureFile';
/** Context key: a `wireshark` executable is on PATH (the editor title shows "Open in Wireshark" only then). */
const WIRESHARK_CONTEXT = 'socketLab.wiresharkOnPath';

class CaptureEditorProvider implements vscode.CustomReadonlyEditorProvider {
  private wireshark: Promise<string | undefined> | undefined;

  constructor(private readonly panels: PacketPanelManager) {}

  /** Looked up once, when the first capture file opens (not at activation). */
  findWireshark(): Promise<string | undefined> {
    return (this.wireshark ??= findExecutable('wireshark').then((exe) => {
      void vscode.commands.executeCommand('setContext', WIRESHARK_CONTEXT, exe !== undefined);
      return exe;
    }));
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    // The packet panel owns the file model (one per editor); the document itself holds nothing.
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    void this.findWireshark();
    const file = document.uri.fsPath;
    let closed = false;
    const sub = panel.onDidDispose(() => (closed = true));
    try {
      const model = await openCaptureFile(file);
      // closed while the first packets were read
      if (closed) return model.dispose();
      this.panels.attach(panel, file, model);
    } catch (e) {
      if (closed) return;
      // One sentence with the fix, in place of the packets.
      panel.webview.options = { enableScripts: false };
      panel.webview.html = messageHtml(e instanceof Error ? e.message : String(e), vscode.env.language);
    } finally {
      sub.dispose();
    }
  }
}

export function registerCaptureEditor(context: vscode.ExtensionContext, panels: PacketPanelManager): void {
  const provider = new CaptureEditorProvider(panels);
  context.subscriptions.push(
    vscode.window.registerCustomEditorProvider(captureEditorViewType, provider, { supportsMultipleEditorsPerDocument: true }),
  );

  registerCommand(context, 'socketLab.capture.openInWireshark', async (arg?: unknown) => {
    const uri = arg instanceof vscode.Uri ? arg : activeCaptureUri();
    if (!uri) return void vscode.window.showInformationMessage(vscode.l10n.t('Open a capture file first.'));
    if (!requireTrust(vscode.l10n.t('Opening a file in Wireshark'))) return;
    const exe = await provider.findWireshark();
    if (!exe) return void vscode.window.showWarningMessage(vscode.l10n.t('Wireshark is not on PATH. Install it (Debian/Ubuntu: apt install wireshark) and reload the window.'));
    // Wireshark is the user's own application: it outlives this window, so it is not ours to stop.
    const child = spawn(exe, [uri.fsPath], { detached: true, stdio: 'ignore', shell: false });
    child.on('error', (e) => void vscode.window.showErrorMessage(vscode.l10n.t('Could not start Wireshark: {0}', e.message)));
    child.unref();
  });
}

/** The file of the active capture editor tab. */
function activeCaptureUri(): vscode.Uri | undefined {
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  return input instanceof vscode.TabInputCustom && input.viewType === captureEditorViewType ? input.uri : undefined;
}
