// The wf extension's client: starts `wf lsp` (the language server built into the wf binary) over
// stdio for .wf files. Highlighting comes from the TextMate grammar and works without it.

import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { Executable, LanguageClient, LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node';

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

/**
 * The URI scheme of the standard library's modules (`wf-std:///models.wf`): go to definition on
 * `models.sonnet` lands there. They are compiled into `wf`, so the server gives their text
 * (`workspace/textDocumentContent`, LSP 3.18); VS Code shows such documents read-only.
 */
export const stdScheme = 'wf-std';

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel('wf');
  context.subscriptions.push(
    output,
    vscode.workspace.registerTextDocumentContentProvider(stdScheme, stdContent(() => client)),
    vscode.commands.registerCommand('wf.restartServer', () => restart()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('wf.server.path')) {
        void restart();
      }
    }),
  );
  await start();
}

export function deactivate(): Thenable<void> | undefined {
  return stop();
}

/** The command that starts the server: `wf.server.path` with `~` and relative paths resolved. */
export function serverCommand(configured: string | undefined, workspaceRoot: string | undefined): string {
  let command = (configured ?? '').trim() || 'wf';
  if (command === '~' || command.startsWith('~/')) {
    command = path.join(os.homedir(), command.slice(1));
  }
  // A bare name (`wf`) is looked up on PATH; a relative path is relative to the workspace.
  const hasSeparator = command.includes('/') || command.includes(path.sep);
  if (hasSeparator && !path.isAbsolute(command) && workspaceRoot !== undefined) {
    command = path.resolve(workspaceRoot, command);
  }
  return command;
}

/** Reads `wf-std:` documents from the running server. */
export function stdContent(current: () => LanguageClient | undefined): vscode.TextDocumentContentProvider {
  return {
    async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
      const running = current();
      if (running === undefined) {
        throw new Error(`wf: the language server is not running, so ${uri.toString()} cannot be read`);
      }
      const result = await running.sendRequest<{ text: string }>('workspace/textDocumentContent', {
        uri: uri.toString(),
      });
      return result.text;
    },
  };
}

async function start(): Promise<void> {
  const configured = vscode.workspace.getConfiguration('wf').get<string>('server.path');
  const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = serverCommand(configured, root);

  const executable: Executable = { command, args: ['lsp'], options: { cwd: root } };
  const serverOptions: ServerOptions = { run: executable, debug: executable };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'wf' },
      { scheme: 'untitled', language: 'wf' },
    ],
    // Imported modules (`use "./x.wf"`) can change on disk: tell the server.
    synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher('**/*.wf') },
    outputChannel: output,
  };

  client = new LanguageClient('wf', 'wf language server', serverOptions, clientOptions);
  try {
    await client.start();
    output?.appendLine(`started \`${command} lsp\``);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output?.appendLine(`could not start \`${command} lsp\`: ${message}`);
    client = undefined;
    const choice = await vscode.window.showErrorMessage(
      `wf: could not start the language server (\`${command} lsp\`). Install wf or set \`wf.server.path\`. Highlighting still works.`,
      'Open Settings',
    );
    if (choice === 'Open Settings') {
      await vscode.commands.executeCommand('workbench.action.openSettings', 'wf.server.path');
    }
  }
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running !== undefined) {
    await running.stop();
  }
}

async function restart(): Promise<void> {
  await stop();
  await start();
}
