import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSIS_RULES } from '../../../../main/session/diagnosis';

describe('docs/troubleshooting-rules.md', () => {
  it('documents every rule, in rule order, with its severity', () => {
    const text = readFileSync(path.resolve(__dirname, '../../../../docs/troubleshooting-rules.md'), 'utf8');
    const headings = [...text.matchAll(/^## `([a-z-]+)` \((error|warning|info)\)$/gm)].map((m) => [m[1], m[2]]);
    expect(headings).toEqual(DIAGNOSIS_RULES.map((r) => [r.id, r.severity]));
  });
});
