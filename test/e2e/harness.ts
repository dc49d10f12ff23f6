// End-to-end harness: real VS Code (pinned code-server) driven by Playwright in Debian's Chromium.
// Read test/e2e/README.md for the API; specs live in test/e2e/specs/<feature>.e2e.ts.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Frame, type Locator, type Page } from 'playwright-core';

import { repoRoot } from '../support';
export { repoRoot };
/** Where specs put the screenshots they take: `media/` (README images) only when SOCKET_LAB_UPDATE_MEDIA=1, so a test run never changes tracked files. */
export const mediaDir = path.join(repoRoot, process.env.SOCKET_LAB_UPDATE_MEDIA === '1' ? 'media' : 'test-results');
export const resultsDir = path.join(repoRoot, 'test-results');
const chromiumPath =
  process.env.SOCKET_LAB_CHROMIUM ??
  ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/snap/bin/chromium'].find((p) => fs.existsSync(p)) ??
  '/usr/bin/chromium';

/** Options for one VS Code window. */
export interface LaunchOptions {
  /** true (default): `--disable-workspace-trust`. false: trust enabled and the workspace left untrusted (Restricted Mode). */
  trusted?: boolean;
  /** Files to create in the fresh workspace folder, relative path → contents. */
  files?: Record<string, string>;
  /** Extra user settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /** Browser viewport; the default suits screenshots. */
  viewport?: { width: number; height: number };
  /** User keybindings (`{ key: 'ctrl+alt+9', command: 'socketLab.file.run' }`): run a command directly, not via the palette. */
  keybindings?: { key: string; command: string; args?: unknown }[];
}

/** A running code-server with a browser page on it. Close it with `close()` (safe twice). */
export interface VsCode {
  page: Page;
  browser: Browser;
  url: string;
  /** The workspace folder opened in the window (a fresh temp dir). */
  workspace: string;
  userDataDir: string;
  /** Everything code-server printed so far (stdout + stderr), useful in failure messages. */
  log(): string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- one-time setup (per mocha run)

let codeServerBin: string | undefined;
let extensionsDir: string | undefined;
let packaged: string | Error | undefined;
const tempDirs: string[] = [];
const live = new Set<VsCodeImpl>();

function log(msg: string): void {
  process.stderr.write(`[e2e] ${msg}\n`);
}

/** Installs the pinned code-server into .cache/ if missing (scripts/install-code-server.sh) and returns its launcher. */
export function ensureCodeServer(): string {
  if (codeServerBin) return codeServerBin;
  const out = execFileSync(path.join(repoRoot, 'scripts', 'install-code-server.sh'), {
    cwd: repoRoot,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  codeServerBin = out.trim().split('\n').pop()!;
  return codeServerBin;
}

/**
 * Packages the extension once per run (`npm run package`) and returns a private copy of the .vsix.
 * SOCKET_LAB_VSIX=path skips packaging and uses that file (handy while iterating on a spec).
 */
export function packageExtension(): string {
  const given = process.env.SOCKET_LAB_VSIX;
  if (given) return path.resolve(given);
  if (packaged instanceof Error) throw packaged; // the first attempt failed; every suite reports the same reason
  if (packaged) return packaged;
  const version = (JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string })
    .version;
  const dir = makeTempDir('vsix-');
  const copy = path.join(dir, `socket-lab-${version}.vsix`);
  const logFile = path.join(dir, 'package.log');
  // Engineers share one checkout: the lock keeps two runs from packaging over each other's dist/ and .vsix.
  fs.mkdirSync(path.join(repoRoot, '.cache'), { recursive: true });
  const started = Date.now();
  try {
    execFileSync(
      'flock',
      [
        path.join(repoRoot, '.cache', 'package.lock'),
        'sh',
        '-c',
        'npm run --silent package >"$1" 2>&1 && cp "socket-lab-$2.vsix" "$3"',
        'sh',
        logFile,
        version,
        copy,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch {
    const output = fs.existsSync(logFile) ? fs.readFileSync(logFile, 'utf8') : '';
    packaged = new Error(`npm run package failed:\n${output.split('\n').slice(-40).join('\n')}`);
    throw packaged;
  }
  log(`packaged ${path.basename(copy)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  packaged = copy;
  return copy;
}

/** Installs the packaged extension into a fresh extensions dir, once per run. */
function ensureExtensionsDir(): string {
  if (extensionsDir) return extensionsDir;
  const bin = ensureCodeServer();
  const vsix = packageExtension();
  const dir = makeTempDir('ext-');
  const configFile = path.join(dir, '.config.yaml');
  fs.writeFileSync(configFile, 'auth: none\n'); // an empty file is an invalid config
  execFileSync(bin, ['--config', configFile, '--extensions-dir', dir, '--install-extension', vsix], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    env: codeServerEnv(),
  });
  const installed = fs.readdirSync(dir).filter((d) => d.startsWith('socket-lab.socket-lab-'));
  if (installed.length !== 1) throw new Error(`extension did not install into ${dir}: ${fs.readdirSync(dir).join(', ')}`);
  extensionsDir = dir;
  return dir;
}

/** Folder of the installed Socket Lab extension (what the .vsix unpacked to) in this run's extensions dir. */
export function installedExtensionDir(): string {
  const dir = ensureExtensionsDir();
  const name = fs.readdirSync(dir).find((d) => d.startsWith('socket-lab.socket-lab-'));
  if (!name) throw new Error(`Socket Lab is not installed in ${dir}`);
  return path.join(dir, name);
}

function makeTempDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `socket-lab-e2e-${prefix}`));
  tempDirs.push(dir);
  return dir;
}

function codeServerEnv(): NodeJS.ProcessEnv {
  // A parent VS Code's variables would make code-server think it runs inside another instance.
  const env = { ...process.env };
  for (const key of Object.keys(env)) if (key.startsWith('VSCODE_')) delete env[key];
  return env;
}

// ---------------------------------------------------------------- launching

const defaultSettings: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.ignoreRecommendations': true,
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'chat.commandCenter.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'window.restoreWindows': 'none',
  'files.hotExit': 'off',
  'git.enabled': false,
  // code-server offers to forward every port a test opens; its toasts would cover the workbench.
  'remote.autoForwardPorts': false,
};

class VsCodeImpl implements VsCode {
  page!: Page;
  browser!: Browser;
  url = '';
  private output = '';
  private closed = false;

  constructor(
    readonly proc: ChildProcess,
    readonly workspace: string,
    readonly userDataDir: string,
  ) {
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  log(): string {
    return this.output;
  }

  waitForUrl(timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`code-server did not start in ${timeoutMs} ms:\n${this.output}`)), timeoutMs);
      const check = (): void => {
        const m = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)\/?/.exec(this.output);
        if (m) finish(undefined, m[1]);
      };
      const onExit = (code: number | null): void =>
        finish(new Error(`code-server exited with ${code} before listening:\n${this.output}`));
      const finish = (err?: Error, url?: string): void => {
        clearTimeout(timer);
        this.proc.stdout?.off('data', check);
        this.proc.off('exit', onExit);
        if (err) reject(err);
        else resolve(url!);
      };
      this.proc.stdout?.on('data', check);
      this.proc.once('exit', onExit);
      check();
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    live.delete(this);
    await this.browser?.close().catch(() => undefined);
    killGroup(this.proc);
  }
}

/** Kills the process group we started for code-server (it leaves a file watcher behind otherwise), and only it. */
function killGroup(proc: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): void {
  if (proc.pid === undefined) return;
  try {
    process.kill(-proc.pid, signal);
  } catch {
    return; // already gone
  }
  const pid = proc.pid;
  setTimeout(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // exited on SIGTERM
    }
  }, 2000).unref();
}

/** Starts code-server (own process group, 127.0.0.1, --auth none) with Socket Lab installed and opens it in Chromium. */
export async function launch(options: LaunchOptions = {}): Promise<VsCode> {
  const trusted = options.trusted ?? true;
  const bin = ensureCodeServer();
  const extDir = ensureExtensionsDir();
  const userDataDir = makeTempDir('user-');
  const workspace = makeTempDir('ws-');
  for (const [rel, text] of Object.entries(options.files ?? {})) {
    const file = path.join(workspace, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  const settings = {
    ...defaultSettings,
    'security.workspace.trust.enabled': !trusted,
    // Restricted Mode without the modal trust dialog: the folder simply opens untrusted.
    'security.workspace.trust.startupPrompt': 'never',
    'security.workspace.trust.banner': 'always',
    ...options.settings,
  };
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  fs.writeFileSync(path.join(userDataDir, 'User', 'keybindings.json'), JSON.stringify(options.keybindings ?? [], null, 2));

  // An empty config of our own, so code-server does not write ~/.config/code-server/config.yaml.
  const configFile = path.join(userDataDir, 'config.yaml');
  fs.writeFileSync(configFile, 'auth: none\n'); // an empty file is an invalid config
  const args = [
    '--config',
    configFile,
    '--auth',
    'none',
    '--bind-addr',
    '127.0.0.1:0',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extDir,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    ...(trusted ? ['--disable-workspace-trust'] : []),
    workspace,
  ];
  const proc = spawn(bin, args, {
    detached: true, // own process group, so close() can kill the group and nothing else
    stdio: ['ignore', 'pipe', 'pipe'],
    env: codeServerEnv(),
  });
  const vsc = new VsCodeImpl(proc, workspace, userDataDir);
  live.add(vsc);
  try {
    vsc.url = await vsc.waitForUrl(60_000);
    vsc.browser = await chromium.launch({
      executablePath: chromiumPath,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        '--disable-quic',
      ],
    });
    const context = await vsc.browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    // tsx compiles specs with keepNames, wrapping functions declared inside page.evaluate() callbacks in a `__name`
    // helper the page does not have; define it in every frame (webviews included).
    await context.addInitScript('globalThis.__name = globalThis.__name || ((fn) => fn);');
    vsc.page = await context.newPage();
    await vsc.page.goto(`${vsc.url}/?folder=${encodeURIComponent(workspace)}`);
    await vsc.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The workbench paints before its parts are ready; the status bar is one of the last.
    await vsc.page.locator('.part.statusbar').waitFor({ timeout: 30_000 });
    return vsc;
  } catch (e) {
    await saveScreenshots('launch-failure');
    await vsc.close();
    throw e;
  }
}

/**
 * Mocha helper: launches one VS Code for the enclosing `describe` (before) and closes it (after).
 * Returns a handle whose `page` is valid inside the tests.
 */
export function useVsCode(options: LaunchOptions = {}): { readonly page: Page; readonly vscode: VsCode } {
  let vsc: VsCode | undefined;
  before(async function () {
    this.timeout(5 * 60_000); // the first launch of a run may install code-server and package the extension
    vsc = await launch(options);
  });
  after(async function () {
    await vsc?.close();
  });
  return {
    get page(): Page {
      if (!vsc) throw new Error('VS Code is not running (did the before hook fail?)');
      return vsc.page;
    },
    get vscode(): VsCode {
      if (!vsc) throw new Error('VS Code is not running (did the before hook fail?)');
      return vsc;
    },
  };
}

// ---------------------------------------------------------------- driving the workbench

/** How long a helper waits for the workbench to show something: generous, the machine may be shared and busy. */
const UI_TIMEOUT = 30_000;

/** The command palette's placeholder (English UI): tells the palette from the quick inputs commands open. */
const PALETTE_PLACEHOLDER = 'Type the name of a command to run.';

/** Runs a command from the palette by its full title, e.g. `Socket Lab: About`. */
export async function runCommand(page: Page, title: string): Promise<void> {
  // Contributed commands reach the palette only once the extension registry has loaded them.
  if (title.startsWith('Socket Lab:')) await page.locator('.activitybar [aria-label^="Socket Lab"]').first().waitFor({ timeout: UI_TIMEOUT });
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const row = rows.filter({ has: page.locator('.label-name', { hasText: exactText(title) }) }).first();
  for (let attempt = 0; ; attempt++) {
    const last = attempt >= 2;
    const input = await openPalette(page);
    const filled = await input
      .fill(`>${title}`, { timeout: 5_000 })
      .then(() => true)
      .catch(() => false);
    // Enter only once the filtered list has caught up with the text, or it runs whatever was first before.
    const found =
      filled &&
      (await row
        .waitFor({ timeout: last ? UI_TIMEOUT : 10_000 })
        .then(() => true)
        .catch(() => false));
    // Run it with Enter once the keyboard focus is on exactly this row (moving down to it if a recently used command
    // is first): a click can land on a row the list just re-rendered with another command (monaco recycles rows).
    // A busy workbench may close or re-render the palette under us (focus moving to a view or webview): open it again.
    const ran = found && (await enterOnRow(page, title));
    if (ran) break;
    if (await input.isVisible().catch(() => false)) await page.keyboard.press('Escape'); // leave the palette closed
    if (last) throw new Error(found ? `could not run "${title}" from the palette` : `command "${title}" is not in the palette (is it contributed and spelled exactly so?)`);
  }
  // The palette is done once it closed or a quick input of the command replaced it.
  await page
    .waitForFunction(
      (paletteHint) => {
        const w = document.querySelector<HTMLElement>('.quick-input-widget');
        const input = w?.querySelector<HTMLInputElement>('.quick-input-box input');
        return !w || w.style.display === 'none' || w.offsetParent === null || input?.placeholder !== paletteHint;
      },
      PALETTE_PLACEHOLDER,
      { timeout: 10_000 },
    )
    .catch(() => undefined);
}

/** Moves the palette's keyboard focus to the row labelled exactly `title` (at most 20 rows down) and presses Enter. */
async function enterOnRow(page: Page, title: string): Promise<boolean> {
  const focusedLabel = () =>
    page.evaluate(() => {
      const w = document.querySelector<HTMLElement>('.quick-input-widget');
      if (!w || w.style.display === 'none' || w.offsetParent === null) return undefined;
      return w.querySelector('.quick-input-list .monaco-list-row.focused .label-name')?.textContent?.trim() ?? '';
    });
  for (let step = 0; step <= 20; step++) {
    const label = await focusedLabel();
    if (label === undefined) return false;
    if (label === title) {
      await page.keyboard.press('Enter');
      return true;
    }
    await page.keyboard.press('ArrowDown');
    await page.waitForTimeout(50);
  }
  return false;
}

/** Opens the command palette (F1) and returns its text field. */
async function openPalette(page: Page): Promise<Locator> {
  const input = page.locator('.quick-input-widget .quick-input-box input');
  // A quick input left open by an earlier step would take our text: close it first.
  if (await input.isVisible().catch(() => false)) await page.keyboard.press('Escape');
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('F1');
    try {
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      return input;
    } catch {
      // focus may have been inside a webview iframe, which swallows F1: focus the workbench and retry
      await page.locator('.part.statusbar').click({ position: { x: 2, y: 2 } }).catch(() => undefined);
    }
  }
  throw new Error('the command palette did not open');
}

/**
 * Waits for the quick input a command opened (not the palette it was run from, which uses the same widget):
 * visible, and its text no longer the `>` palette filter. `title` (optional) must appear in its title or prompt.
 */
export async function waitForQuickInput(page: Page, title?: string | RegExp): Promise<Locator> {
  const widget = page.locator('.quick-input-widget');
  await page.waitForFunction(
    (paletteHint) => {
      const w = document.querySelector<HTMLElement>('.quick-input-widget');
      const input = w?.querySelector<HTMLInputElement>('.quick-input-box input');
      if (!w || !input || w.style.display === 'none' || w.offsetParent === null) return false;
      // the palette, or the palette being cleared on its way out
      return !input.value.startsWith('>') && input.placeholder !== paletteHint;
    },
    PALETTE_PLACEHOLDER,
    { timeout: UI_TIMEOUT },
  );
  if (title) {
    await widget
      .locator('.quick-input-title, .quick-input-message')
      .filter({ hasText: title })
      .first()
      .waitFor({ timeout: UI_TIMEOUT });
  }
  return widget.locator('.quick-input-box input');
}

/**
 * Answers the input box a command opened (showInputBox): replaces its text with `value`, presses Enter, and waits
 * until the box accepted it (closed, or replaced by the command's next question).
 */
export async function answerInputBox(page: Page, value: string, title?: string | RegExp): Promise<void> {
  const input = await waitForQuickInput(page, title);
  const before = await quickInputState(page);
  await input.fill(value);
  for (let attempt = 0; attempt < 2; attempt++) {
    await input.press('Enter');
    const accepted = await page
      .waitForFunction(
        ([t, v]) => {
          const w = document.querySelector<HTMLElement>('.quick-input-widget');
          const i = w?.querySelector<HTMLInputElement>('.quick-input-box input');
          const title = w?.querySelector('.quick-input-title')?.textContent ?? '';
          return !w || w.style.display === 'none' || w.offsetParent === null || title !== t || i?.value !== v;
        },
        [before.title, value] as const,
        { timeout: 5_000 },
      )
      .then(() => true)
      .catch(() => false);
    if (accepted) return;
  }
  const msg = await page.locator('.quick-input-widget .quick-input-message').innerText().catch(() => '');
  throw new Error(`the input box did not accept ${JSON.stringify(value)}: ${msg}`);
}

/**
 * Answers VS Code's own file dialog (a quick input). It fills in its start folder a moment after it opens (sometimes
 * in two steps) and then selects the default file name, overwriting a path typed earlier: wait until it lists the
 * folder and its value has stayed the same for half a second, type the path, and wait for the dialog to close.
 */
export async function answerFileDialog(page: Page, file: string): Promise<void> {
  const widget = page.locator('.quick-input-widget');
  const input = widget.locator('.quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: UI_TIMEOUT });
  await widget.locator('.quick-input-list .monaco-list-row').first().waitFor({ timeout: UI_TIMEOUT });
  let last = '';
  let stableSince = Date.now();
  for (const deadline = Date.now() + UI_TIMEOUT; ; await page.waitForTimeout(100)) {
    const v = await input.inputValue().catch(() => '');
    if (v !== last) [last, stableSince] = [v, Date.now()];
    else if (v.startsWith('/') && Date.now() - stableSince > 500) break;
    if (Date.now() > deadline) throw new Error(`the file dialog's value did not settle: ${JSON.stringify(v)}`);
  }
  await input.fill(file);
  await input.press('Enter');
  if (!(await widget.waitFor({ state: 'hidden', timeout: 10_000 }).then(() => true, () => false))) {
    const msg = await widget.locator('.quick-input-message').innerText().catch(() => '');
    throw new Error(`the file dialog did not accept ${JSON.stringify(file)}: ${msg}`);
  }
}

async function quickInputState(page: Page): Promise<{ title: string }> {
  return { title: (await page.locator('.quick-input-widget .quick-input-title').textContent().catch(() => '')) ?? '' };
}

/** Picks the row of the quick pick a command opened whose label is exactly `label` (or whose text matches a RegExp). */
export async function pickQuickItem(page: Page, label: string | RegExp, title?: string | RegExp): Promise<void> {
  await waitForQuickInput(page, title);
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row');
  const row = (
    typeof label === 'string'
      ? rows.filter({ has: page.locator('.label-name', { hasText: exactText(label) }) })
      : rows.filter({ hasText: label })
  ).first();
  await row.waitFor({ timeout: UI_TIMEOUT });
  await row.click();
}

/** Labels of the rows currently in a quick pick. */
export async function quickPickItems(page: Page): Promise<string[]> {
  const rows = page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
  await rows.first().waitFor({ timeout: UI_TIMEOUT });
  return (await rows.allInnerTexts()).map((t) => t.trim());
}

/** Opens the Socket Lab container (activity bar) if it is not open; resolves when its Connections view is there. */
export async function openSocketLabView(page: Page): Promise<Locator> {
  const container = page.locator('[id="workbench.view.extension.socketLab"]');
  if (!(await container.isVisible().catch(() => false))) {
    await page.locator('.activitybar [aria-label^="Socket Lab"]').first().click();
  }
  await container.waitFor({ state: 'visible', timeout: 30_000 });
  return container;
}

/** The body of a view by its name (e.g. "Connections"), after `openSocketLabView`. */
export function viewPane(page: Page, name: string): Locator {
  return page.locator('.pane').filter({ has: page.locator('.pane-header', { hasText: exactText(name) }) });
}

/** Text of the tree/list rows in a view (default: Connections), top to bottom; waits for at least `min` rows. */
export async function treeRows(page: Page, view = 'Connections', min = 1): Promise<string[]> {
  const rows = viewPane(page, view).locator('.monaco-list-row');
  await rows.nth(min - 1).waitFor({ timeout: UI_TIMEOUT });
  // "label description", e.g. "127.0.0.1:8000 listening · ↑0 B ↓0 B" (innerText would glue the two together)
  return rows.evaluateAll((els) =>
    els.map((el) => {
      const part = (sel: string): string => el.querySelector(sel)?.textContent?.trim() ?? '';
      const text = [part('.label-name'), part('.label-description')].filter(Boolean).join(' ');
      return (text || (el as HTMLElement).innerText).replace(/\s+/g, ' ').trim();
    }),
  );
}

/** A tree row in a view whose text contains `text`. */
export function treeRow(page: Page, text: string | RegExp, view = 'Connections'): Locator {
  return viewPane(page, view).locator('.monaco-list-row').filter({ hasText: text }).first();
}

/** Waits for a notification toast containing `text`; returns it (its buttons are `.monaco-button`). */
export async function waitForNotification(page: Page, text: string | RegExp, timeoutMs = 20_000): Promise<Locator> {
  const toast = page.locator('.notifications-toasts .notification-toast').filter({ hasText: text }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs }).catch(async () => {
    const seen = await page.locator('.notifications-toasts .notification-toast').allInnerTexts();
    throw new Error(`no notification matching ${String(text)}; visible: ${JSON.stringify(seen)}`);
  });
  return toast;
}

/** Closes every visible notification toast (so the next waitForNotification sees only new ones). */
export async function clearNotifications(page: Page): Promise<void> {
  await runCommand(page, 'Notifications: Clear All Notifications');
}

/** A command as the manifest contributes it, with `%key%` strings resolved from package.nls.json. */
export interface ContributedCommand {
  id: string;
  /** The palette title, `Category: Title`. */
  title: string;
  enablement?: string;
}

/** The manifest's entry for command `id`, or undefined when package.json does not contribute it (yet). */
export function contributedCommand(id: string): ContributedCommand | undefined {
  const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    contributes?: { commands?: { command: string; title: string; category?: string; enablement?: string }[] };
  };
  const nls = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.nls.json'), 'utf8')) as Record<string, string>;
  const resolve = (s: string): string => s.replace(/^%(.+)%$/, (_m, key: string) => nls[key] ?? key);
  const cmd = manifest.contributes?.commands?.find((c) => c.command === id);
  if (!cmd) return undefined;
  const title = cmd.category ? `${resolve(cmd.category)}: ${resolve(cmd.title)}` : resolve(cmd.title);
  return { id, title, enablement: cmd.enablement };
}

/** The palette title of a contributed command (`'Socket Lab: About'`), or undefined when it is not contributed. */
export function commandTitle(id: string): string | undefined {
  return contributedCommand(id)?.title;
}

/** Asserts that running `title` in Restricted Mode refuses with Socket Lab's "needs a trusted workspace" sentence. */
/** Presses `key` (bound to a command through `LaunchOptions.keybindings`) and waits for Socket Lab's trust refusal. */
export async function expectTrustRefusal(page: Page, key: string): Promise<void> {
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, force: true });
  // VS Code spells it `ctrl+alt+7`, Playwright `Control+Alt+7`
  const names: Record<string, string> = { ctrl: 'Control', alt: 'Alt', shift: 'Shift', cmd: 'Meta' };
  await page.keyboard.press(key.split('+').map((k) => names[k] ?? k).join('+'));
  await waitForNotification(page, /needs a trusted workspace/);
}

/** True when the palette lists a command with exactly this title (waits a moment for the list to filter). */
export async function paletteHas(page: Page, title: string): Promise<boolean> {
  const input = await openPalette(page);
  await input.fill(`>${title}`);
  const row = page
    .locator('.quick-input-widget .quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exactText(title) }) })
    .first();
  const found = await row
    .waitFor({ timeout: 3_000 })
    .then(() => true)
    .catch(() => false);
  await page.keyboard.press('Escape');
  return found;
}

/**
 * The webview frame that contains `selector` (webviews are nested iframes). Polls until found.
 * Use the returned Frame like a page: `frame.locator(...)`.
 */
export async function findFrame(page: Page, selector: string, timeoutMs = 30_000): Promise<Frame> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      if (frame === page.mainFrame()) continue;
      const found = await frame.$(selector).catch(() => null);
      if (found) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error(`no webview frame contains ${selector}`);
}

/** Polls `get` until `ok` accepts its value (every 200 ms, up to `ms`); throws with the last value. */
export async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  let v = await get();
  while (!ok(v)) {
    if (Date.now() > end) throw new Error(`${what}: still ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 200));
    v = await get();
  }
  return v;
}

/** Switches the colour theme the way a user does (Preferences: Color Theme) and waits for the workbench to repaint. */
export async function setColorTheme(page: Page, theme: string): Promise<void> {
  await runCommand(page, 'Preferences: Color Theme');
  // click the exact row: Enter on a half-filtered list can pick "Browse Additional Color Themes…"
  await (await waitForQuickInput(page)).fill(theme);
  await pickQuickItem(page, theme);
  const cls = /light high contrast|high contrast light/i.test(theme) ? 'hc-light' : /high contrast/i.test(theme) ? 'hc-black' : /dark/i.test(theme) ? 'vs-dark' : 'vs';
  await page.waitForFunction((c) => document.querySelector('.monaco-workbench')?.classList.contains(c) === true, cls, { timeout: 20_000 });
}

/** Opens the editor tab titled `title` if it exists; returns the tab locator. */
export function editorTab(page: Page, title: string | RegExp): Locator {
  return page.locator('.tabs-container .tab').filter({ hasText: title }).first();
}

/** Saves a full-page screenshot of `page` under test-results/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(resultsDir, { recursive: true });
  const file = path.join(resultsDir, `${safeName(name)}.png`);
  await page.screenshot({ path: file, timeout: 15_000 });
  return file;
}

/** Screenshots every open VS Code window (used by the failure hook). */
export async function saveScreenshots(name: string): Promise<string[]> {
  const files: string[] = [];
  let i = 0;
  for (const vsc of live) {
    if (!vsc.page || vsc.page.isClosed()) continue;
    const file = await screenshot(vsc.page, live.size > 1 ? `${name}-${i++}` : name).catch(() => undefined);
    if (file) files.push(file);
  }
  return files;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 150) || 'screenshot';
}

function exactText(text: string): RegExp {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`);
}

// ---------------------------------------------------------------- cleanup

/** Closes every VS Code still open and removes the temp dirs (root hook afterAll, and on exit as a safety net). */
export async function closeAll(): Promise<void> {
  for (const vsc of [...live]) await vsc.close();
  removeTempDirs();
}

function removeTempDirs(): void {
  if (process.env.SOCKET_LAB_E2E_KEEP) return;
  for (const dir of tempDirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

process.once('exit', () => {
  for (const vsc of live) killGroup(vsc.proc, 'SIGKILL');
  removeTempDirs();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const vsc of live) killGroup(vsc.proc, 'SIGKILL');
    process.exit(130);
  });
}

/**
 * Right-clicks a Connections row and runs one entry of its context menu. A busy workbench can swallow the click while
 * the menu is still settling: then the entry is chosen with the keyboard.
 */
export async function contextMenu(page: Page, row: RegExp, entry: string): Promise<void> {
  await treeRow(page, row).click({ button: 'right' });
  const item = page.locator('.context-view .action-label', { hasText: entry }).first();
  await item.waitFor({ timeout: 15_000 });
  await page.waitForTimeout(300); // a menu ignores clicks in its first moments (the right-click's mouseup)
  await item.click();
  const menu = page.locator('.context-view .monaco-menu');
  if (!(await menu.waitFor({ state: 'hidden', timeout: 3_000 }).then(() => true, () => false))) {
    await item.hover();
    await page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5_000 });
  }
}

/** The tooltip VS Code shows for a Connections row after hovering it (the mouse moved off before and after). */
export async function rowTooltip(page: Page, row: RegExp, title: string): Promise<string> {
  await page.mouse.move(0, 0);
  const r = treeRow(page, row);
  await r.waitFor({ timeout: 15_000 });
  await r.hover();
  const hover = page.locator('.monaco-hover, .workbench-hover').filter({ hasText: title }).first();
  await hover.waitFor({ timeout: 10_000 });
  const text = await hover.innerText();
  await page.mouse.move(0, 0);
  return text;
}

/** The visible text of the active terminal (DOM renderer). */
export async function terminalText(page: Page): Promise<string> {
  return page.evaluate(() => [...document.querySelectorAll('.terminal-wrapper.active .xterm-rows > div')].map((d) => d.textContent ?? '').join('\n'));
}

/**
 * Opens a session's panel by clicking its Connections row, and returns the panel's frame (found by `selector`).
 * VS Code forgets a row's click command when the tree refreshes that row, so a click that lands while the row is
 * being refreshed does nothing (a user clicks again): up to three clicks, five seconds apart.
 */
/**
 * Waits until the panel of the session labelled `label`, opened by Connect / Open UDP Socket, is fully there (its send
 * bar attached: the moment it takes the keyboard), as a user waits to see the panel before doing anything else.
 */
export async function panelOpened(page: Page, label: string): Promise<Frame> {
  return findFrame(page, `body[data-view="session"][data-controls="attached"]:has(.session-label:text-is(${JSON.stringify(label)}))`);
}

export async function openFromTree(page: Page, row: Locator, selector: string): Promise<Frame> {
  await row.waitFor({ timeout: 20_000 });
  for (let attempt = 1; ; attempt++) {
    await row.click();
    try {
      return await findFrame(page, selector, attempt < 3 ? 5_000 : 30_000);
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}

/** Opens a file of the workspace by Quick Open (Ctrl+P), as a user does; the cursor at its top. */
export async function openWorkspaceFile(page: Page, name: string): Promise<void> {
  await page.keyboard.press('Escape'); // close any menu or widget a previous step left open
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15_000 });
  await input.fill(name);
  // pick the row only once quick open has found the file, or Enter opens nothing
  await page.locator('.quick-input-widget .quick-input-list .monaco-list-row', { hasText: name }).first().click({ timeout: 20_000 });
  await page.locator('.editor-group-container .tab.active', { hasText: name }).first().waitFor({ timeout: 20_000 });
  await page.keyboard.press('Control+Home');
}

/** The text after an editor line's end that a decoration shows (the call hints; VS Code draws it with a CSS ::after rule). */
export async function hintAfter(page: Page, lineText: string): Promise<string> {
  return page.evaluate((text) => {
    const line = [...document.querySelectorAll('.view-line')].find((l) => (l.textContent ?? '').replace(/\u00a0/g, ' ').includes(text));
    for (const el of line ? [...line.querySelectorAll('span')] : []) {
      const c = getComputedStyle(el, '::after').content;
      if (c && c !== 'none' && c !== 'normal') return c;
    }
    return '';
  }, lineText);
}

/** The text column of the timeline's hex pane's visible rows, in order. */
export function timelineHexText(frame: Frame): Promise<string> {
  return frame.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>('.tl-hex-pane .hex-row:not([hidden]):not(.hex-probe)')]
      .sort((a, b) => Number(a.dataset.row) - Number(b.dataset.row))
      .map((r) => (r.querySelector('.hex-txt')?.textContent ?? '').trimEnd())
      .join(''),
  );
}
