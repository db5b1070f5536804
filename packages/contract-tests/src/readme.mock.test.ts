// The README's session example must stay true: it is extracted, pointed at the fixture API's
// generated types, and type-checked with the repository's TypeScript settings.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const readme = readFileSync(join(packageDir, '../../README.md'), 'utf8');
const scratch = mkdtempSync(join(packageDir, 'src/.readme-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The TypeScript code blocks of the README. */
const codeBlocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/gu)].map((match) => match[1] ?? '');

describe("the README's protected-call example", () => {
  const example = codeBlocks.find((block) => block.includes('createTokenSession'));

  it('exists and is under 15 lines', () => {
    expect(example).toBeDefined();
    expect(example?.trimEnd().split('\n').length).toBeLessThan(15);
  });

  it('type-checks against a real openapi-typescript `paths` (the fixture API)', () => {
    const source = (example ?? '').replace("'./generated/my-api.js'", "'../generated/protected-api.js'");
    expect(source).toContain('../generated/protected-api.js');
    const file = join(scratch, 'example.ts');
    writeFileSync(file, `${source}\nexport {};\n`);
    const configPath = join(packageDir, 'tsconfig.json');
    const { config } = ts.readConfigFile(configPath, ts.sys.readFile);
    const { options } = ts.parseJsonConfigFileContent(config, ts.sys, packageDir);
    const program = ts.createProgram([file], { ...options, noEmit: true });
    const diagnostics = ts
      .getPreEmitDiagnostics(program)
      .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    expect(diagnostics).toEqual([]);
  });
});
