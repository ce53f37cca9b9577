import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import ts from 'typescript';

// The renderer compiles with DOM and without Node; main/ with Node and without DOM. A snippet
// compiled under each project's options must see exactly its own globals.
const root = path.resolve(__dirname, '../../..');

function diagnostics(project: string, fileName: string, code: string): string[] {
  const cfgPath = path.join(root, project, 'tsconfig.json');
  const cfg = ts.getParsedCommandLineOfConfigFile(cfgPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined })!;
  const options = { ...cfg.options, noEmit: true, composite: false, declaration: false, emitDeclarationOnly: false };
  const file = path.join(root, project, fileName);
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === file ? code : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === file || exists(f);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('globals per TypeScript project', () => {
  it('renderer has DOM and no Node', () => {
    expect(diagnostics('renderer', 'zz-probe.ts', 'export const t: string = document.title;\n')).toEqual([]);
    expect(diagnostics('renderer', 'zz-probe.ts', 'export const v: string = process.version;\n').join()).toMatch(/Cannot find name 'process'/);
  }, 120_000);

  it('main has Node and no DOM', () => {
    expect(diagnostics('main', 'zz-probe.ts', 'export const v: string = process.version;\n')).toEqual([]);
    expect(diagnostics('main', 'zz-probe.ts', 'export const t: string = document.title;\n').join()).toMatch(/Cannot find name 'document'/);
  }, 120_000);
});
