import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import * as path from 'node:path';

// The layering of DESIGN.md is a lint rule; these cases prove the rule bites.
const eslint = new ESLint({ cwd: path.resolve(__dirname, '../../..') });

async function violations(filePath: string, code: string): Promise<string[]> {
  const [r] = await eslint.lintText(code, { filePath });
  return (r?.messages ?? []).filter((m) => /restricted-imports/.test(m.ruleId ?? '')).map((m) => m.message);
}

describe('layering lint', { timeout: 60_000 }, () => {
  it('forbids a lower layer importing a higher one', async () => {
    expect(await violations('main/stun/x.ts', "import { a } from '../turn/allocation';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('main/common/x.ts', "import { a } from '../net/types';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('main/ice/x.ts', "import { a } from '../session/call';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('allows a higher layer importing a lower one', async () => {
    expect(await violations('main/turn/x.ts', "import { a } from '../stun/transaction';\nexport const b = a;\n")).toEqual([]);
    expect(await violations('main/ice/gather/x.ts', "import { a } from '../../turn/allocation';\nexport const b = a;\n")).toEqual([]);
  });

  it('keeps the engine away from the lab', async () => {
    expect(await violations('main/session/x.ts', "import { a } from '../lab/registrar';\nexport const b = a;\n")).toHaveLength(1);
  });

  it('allows electron only in main/app and main/index.ts', async () => {
    expect(await violations('main/session/x.ts', "import { app } from 'electron';\nexport const b = app;\n")).toHaveLength(1);
    expect(await violations('main/app/x.ts', "import { app } from 'electron';\nexport const b = app;\n")).toEqual([]);
  });

  it('keeps node:* out of main/common', async () => {
    expect(await violations('main/common/x.ts', "import * as fs from 'node:fs';\nexport const b = fs;\n")).toHaveLength(1);
  });

  it('lets the renderer import main/api types only', async () => {
    expect(await violations('renderer/x.ts', "import type { MediapathApi } from '../main/api';\nexport type B = MediapathApi;\n")).toEqual([]);
    expect(await violations('renderer/x.ts', "import { z } from '../main/api';\nexport const b = z;\n")).toHaveLength(1);
    expect(await violations('renderer/x.ts', "import { a } from '../main/ice/agent';\nexport const b = a;\n")).toHaveLength(1);
    expect(await violations('renderer/x.ts', "import * as fs from 'node:fs';\nexport const b = fs;\n")).toHaveLength(1);
  });
});
