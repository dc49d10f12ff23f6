// Composition root: builds every part and pushes each disposable into context.subscriptions.
// activate() stays cheap: no child process, no socket, no file scan here.
import * as vscode from 'vscode';
import { registerAboutCommand } from './vscode/commands';
import { createCaptureManager, registerCaptures } from './vscode/captures/captureCommands';
import { registerPacketPanel } from './vscode/panels/packetPanel';
import { registerCaptureEditor } from './vscode/panels/captureEditor';
import { registerTerminalLauncher } from './vscode/terminalLauncher';
import { ProgramWatchManager } from './core/programs/programWatcher';
import { registerSocketEditor } from './vscode/editor/registerEditor';
import { registerFileRunner } from './vscode/systemSockets/fileRunner';
import { registerSystemSocketsView } from './vscode/systemSockets/systemSocketsView';
import { registerLessons } from './vscode/lessons/lessonCommands';
import { registerWireLanguage } from './vscode/wire/wireLanguage';
import { registerWireRuns } from './vscode/wire/wireRuns';
import { SessionManager } from './core/sessions/sessionManager';
import { registerConnections, retentionFromSettings, transcriptBytesFromSettings } from './vscode/connections/registerConnections';
import { registerSessionPanel } from './vscode/panels/sessionPanel';
import { registerSocketLabTasks } from './vscode/socketLabTasks';
import { registerTimelinePanel, wireSources } from './vscode/panels/timelinePanel';

export function activate(context: vscode.ExtensionContext): void {
  registerAboutCommand(context);
  // every socket Socket Lab opens (servers, clients, UDP) lives in this one manager; no socket opens here
  const sessions = new SessionManager({ transcriptBytes: transcriptBytesFromSettings(), ...retentionFromSettings() });
  context.subscriptions.push({ dispose: () => sessions.dispose() });
  // programs run with socketLab.file.run/debug; the Connections tree (top group) and System Sockets render them
  const programs = new ProgramWatchManager();
  context.subscriptions.push(programs);
  // one webview panel per session (conversation, hex viewer, send bar): tree click, command, first data
  const sessionPanels = registerSessionPanel(context, sessions);
  const sessionCommands = registerConnections(context, sessions, sessionPanels, programs);
  // `"type": "socketLab"` tasks start servers and clients in the same manager (visible in Connections)
  registerSocketLabTasks(context, sessions, (host) => sessionCommands.confirmBind(host));
  registerSystemSocketsView(context, programs);
  const runner = registerFileRunner(context, programs, registerSocketEditor(context), sessions);
  // packet capture (helper spawned lazily on the first capture), the packet panel showing a capture's packets, and
  // the capture commands (which open that panel, and capture a session's connection)
  const captureLog = vscode.window.createOutputChannel('Socket Lab Capture', { log: true });
  context.subscriptions.push(captureLog);
  const captures = createCaptureManager(context, captureLog);
  const packetPanels = registerPacketPanel(context, captures, captureLog);
  registerCaptures(context, captures, packetPanels, sessions, captureLog);
  // the socket-call timeline of a run (socketLab.timeline.show; the call hints' hover links to it), its calls linked
  // to the captures' segments and the sessions' transcript chunks
  registerTimelinePanel(context, runner.hints, wireSources(captures, sessions));
  // .pcap/.pcapng/.cap open by double-click in the same packet panel (a read-only custom editor)
  registerCaptureEditor(context, packetPanels);
  // `socket-lab` on the PATH of every integrated terminal (a launcher in global storage; written after activation)
  registerTerminalLauncher(context, captureLog);
  // lessons: the Lessons view and socketLab.lesson.*; with the SessionManager Socket Lab plays the peer (its panel opens)
  registerLessons(context, sessions, programs, sessionPanels, runner.recorder);
  // .wire scripts: highlighting, diagnostics, completion; Run / Serve from CodeLens; Answer by Rules… on a server
  registerWireLanguage(context);
  registerWireRuns(context, sessions);
}

export function deactivate(): void {
  // everything is disposed through context.subscriptions
}
