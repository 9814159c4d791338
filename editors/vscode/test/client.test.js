// The compiled client (out/extension.js) run against a stub of the VS Code API and of
// vscode-languageclient: the real VS Code cannot run here, so this checks what the extension
// asks of them. It must start `wf lsp` for wf documents and read `wf-std:` documents (the
// standard library, where go to definition leads) from the server.
'use strict';

const assert = require('node:assert/strict');
const Module = require('node:module');
const path = require('node:path');
const { test } = require('node:test');

const calls = { clients: [], providers: [], requests: [] };

class LanguageClient {
  constructor(id, name, serverOptions, clientOptions) {
    calls.clients.push({ id, name, serverOptions, clientOptions });
  }
  async start() {}
  async stop() {}
  async sendRequest(method, params) {
    calls.requests.push({ method, params });
    return { text: `// the text of ${params.uri}\n` };
  }
}

const settings = { 'server.path': undefined };
const vscode = {
  window: {
    createOutputChannel: () => ({ appendLine() {}, dispose() {} }),
    showErrorMessage: async () => undefined,
  },
  commands: { registerCommand: () => ({ dispose() {} }), executeCommand: async () => undefined },
  workspace: {
    getConfiguration: () => ({ get: (key) => settings[key] }),
    workspaceFolders: [{ uri: { fsPath: '/project' } }],
    onDidChangeConfiguration: () => ({ dispose() {} }),
    createFileSystemWatcher: (glob) => ({ glob, dispose() {} }),
    registerTextDocumentContentProvider: (scheme, provider) => {
      calls.providers.push({ scheme, provider });
      return { dispose() {} };
    },
  },
};

const stubs = { vscode, 'vscode-languageclient/node': { LanguageClient } };
const load = Module._load;
Module._load = function (request, parent, isMain) {
  return Object.prototype.hasOwnProperty.call(stubs, request) ? stubs[request] : load.call(this, request, parent, isMain);
};

// WF_EXTENSION: an unpacked .vsix's `extension/` folder (test.sh); by default this folder.
const root = process.env.WF_EXTENSION ?? path.join(__dirname, '..');
const main = require(path.join(root, 'package.json')).main;
const extension = require(path.resolve(root, main));

test('activation starts `wf lsp` over stdio for wf documents', async () => {
  await extension.activate({ subscriptions: [] });
  assert.equal(calls.clients.length, 1);
  const { id, serverOptions, clientOptions } = calls.clients[0];
  assert.equal(id, 'wf');
  for (const mode of ['run', 'debug']) {
    assert.equal(serverOptions[mode].command, 'wf', mode);
    assert.deepEqual(serverOptions[mode].args, ['lsp'], mode);
    assert.equal(serverOptions[mode].transport, undefined, `${mode}: stdio, the default`);
  }
  assert.ok(clientOptions.documentSelector.some((s) => s.language === 'wf' && s.scheme === 'file'));
});

test('`wf.server.path` is the command, relative paths from the workspace', async () => {
  assert.equal(extension.serverCommand('bin/wf', '/project'), '/project/bin/wf');
  assert.equal(extension.serverCommand('  ', '/project'), 'wf');
  assert.equal(extension.serverCommand('/opt/wf', '/project'), '/opt/wf');
});

test('`wf-std:` documents are read from the server', async () => {
  const registered = calls.providers.filter((p) => p.scheme === 'wf-std');
  assert.equal(registered.length, 1, 'one content provider for the wf-std scheme');
  const uri = { toString: () => 'wf-std:///models.wf' };
  const text = await registered[0].provider.provideTextDocumentContent(uri);
  assert.deepEqual(calls.requests.at(-1), {
    method: 'workspace/textDocumentContent',
    params: { uri: 'wf-std:///models.wf' },
  });
  assert.equal(text, '// the text of wf-std:///models.wf\n');
});
