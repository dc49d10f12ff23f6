// Which Python runs the user's files and the lessons, by one rule: the setting socketLab.python.path when set (the
// user said so), else the Python extension's selected interpreter for that folder, else python3 / py -3.
import * as vscode from 'vscode';
import {
  defaultInterpreterCandidates, resolveInterpreter, type InterpreterFound, type PythonInterpreter,
} from '../core/lessons/interpreter';

/** The Python extension's active interpreter for `folder`, when that extension is installed (no hard dependency). */
async function fromPythonExtension(folder: vscode.Uri): Promise<PythonInterpreter | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) return undefined;
  try {
    const { PythonExtension } = await import('@vscode/python-extension');
    const api = await PythonExtension.api();
    const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(folder));
    const exe = env?.executable.uri?.fsPath;
    return exe ? { command: exe, args: [], source: 'python-extension' } : undefined;
  } catch {
    return undefined;
  }
}

/** The setting, else the Python extension's choice; undefined: neither says (use python3 / py -3). */
export async function chosenPython(folder: vscode.Uri): Promise<PythonInterpreter | undefined> {
  const setting = vscode.workspace.getConfiguration('socketLab.python').get<string>('path', '').trim();
  if (setting) return { command: setting, args: [], source: 'setting' };
  return fromPythonExtension(folder);
}

export async function interpreterCandidates(folder: vscode.Uri): Promise<PythonInterpreter[]> {
  const chosen = await chosenPython(folder);
  return [...(chosen ? [chosen] : []), ...defaultInterpreterCandidates()];
}

/** A working Python 3, or undefined after telling the user in one sentence how to fix it. */
export async function findPython(folder: vscode.Uri): Promise<InterpreterFound | undefined> {
  const found = await resolveInterpreter(await interpreterCandidates(folder));
  if (found.ok) return found;
  const tried = found.tried.map((t) => `${[t.interpreter.command, ...t.interpreter.args].join(' ')} (${t.reason})`).join(', ');
  const openSettings = vscode.l10n.t('Open Settings');
  const pick = await vscode.window.showErrorMessage(
    vscode.l10n.t('No Python 3 found (tried {0}): install Python 3, or set "socketLab.python.path" to the full path of python3.', tried),
    openSettings,
  );
  if (pick === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'socketLab.python.path');
  return undefined;
}
