#!/usr/bin/env node
// Tokenizes .wf files with the TextMate grammar, the way VS Code does (vscode-textmate and the
// Oniguruma regex engine).
//
//   node scripts/tokenize.mjs FILE...           print every token with its scopes
//   node scripts/tokenize.mjs --check FILE...   check that the grammar reads real, valid files
//                                               sensibly (see `problems` below); exit 1 if not

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const vsctm = require('vscode-textmate');
const oniguruma = require('vscode-oniguruma');

const here = dirname(fileURLToPath(import.meta.url));
const grammarPath = join(here, '..', 'syntaxes', 'wf.tmLanguage.json');

const RESERVED = new Set([
  'use', 'as', 'const', 'model', 'provider', 'workflow', 'phase', 'run', 'agent', 'call', 'gate',
  'wait', 'parallel', 'if', 'else', 'repeat', 'for', 'in', 'fail', 'max', 'until', 'on', 'finally',
  'true', 'false', 'and', 'or', 'not',
]);

async function loadGrammar() {
  const wasm = readFileSync(require.resolve('vscode-oniguruma/release/onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scopeName) =>
      scopeName === 'source.wf' ? vsctm.parseRawGrammar(readFileSync(grammarPath, 'utf8'), grammarPath) : null,
  });
  return registry.loadGrammar('source.wf');
}

function tokenize(grammar, text) {
  let stack = vsctm.INITIAL;
  const lines = text.split(/\r?\n/);
  const result = [];
  lines.forEach((line, index) => {
    const { tokens, ruleStack } = grammar.tokenizeLine(line, stack);
    stack = ruleStack;
    for (const token of tokens) {
      result.push({ line: index + 1, column: token.startIndex + 1, text: line.slice(token.startIndex, token.endIndex), scopes: token.scopes });
    }
  });
  return { tokens: result, depth: stack.depth };
}

// What a valid file must not show: `wf check` accepts these files, so an `invalid` scope is a
// grammar bug; a reserved word outside strings and comments must look like a keyword (or be a
// field after `.`); and every region the grammar opened must be closed at the end of the file.
function problems(tokens, depth) {
  const found = [];
  for (const token of tokens) {
    const scopes = token.scopes.join(' ');
    const where = `${token.line}:${token.column}`;
    if (/\binvalid\./.test(scopes)) found.push(`${where}: \`${token.text}\` is scoped invalid (${scopes})`);
    const inText = /\b(string|comment)\./.test(scopes) && !/meta\.embedded\.expression/.test(scopes);
    const trimmed = token.text.trim();
    if (!inText && RESERVED.has(trimmed) && !/\b(keyword|storage\.type|constant\.language|support\.function|variable\.other\.property)\./.test(scopes)) {
      found.push(`${where}: reserved word \`${trimmed}\` is not scoped as a keyword (${scopes})`);
    }
  }
  if (depth !== 1) found.push(`end of file: ${depth - 1} region(s) still open`);
  return found;
}

const args = process.argv.slice(2);
const check = args[0] === '--check';
const files = check ? args.slice(1) : args;
if (files.length === 0) {
  console.error('usage: node scripts/tokenize.mjs [--check] FILE...');
  process.exit(2);
}

const grammar = await loadGrammar();
let failed = false;
for (const file of files) {
  const { tokens, depth } = tokenize(grammar, readFileSync(file, 'utf8'));
  if (check) {
    const found = problems(tokens, depth);
    if (found.length) {
      failed = true;
      for (const problem of found) console.error(`${file}:${problem}`);
    } else {
      console.log(`ok ${file} (${tokens.length} tokens)`);
    }
  } else {
    for (const token of tokens) {
      console.log(`${file}:${token.line}:${token.column}\t${JSON.stringify(token.text)}\t${token.scopes.slice(1).join(' ')}`);
    }
  }
}
process.exit(failed ? 1 : 0);
