import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatScenarioIssue, parseScenario } from '../../../../main/headless/scenario';

const DOC = path.resolve(__dirname, '../../../../docs/scenario-reference.md');

/** The YAML blocks of the reference that are whole scenarios (the rest are fragments). */
function examples(): string[] {
  const text = readFileSync(DOC, 'utf8');
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).filter((y) => /^registrar:/m.test(y) && /^accounts:/m.test(y) && /^(call|answer):/m.test(y));
}

describe('docs/scenario-reference.md', () => {
  it('has whole examples, and every one of them is a valid scenario', () => {
    const list = examples();
    expect(list.length).toBeGreaterThanOrEqual(4);
    for (const y of list) {
      const env = Object.fromEntries([...y.matchAll(/\$\{ENV:([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => [m[1]!, 'value']));
      const r = parseScenario(y, { file: '/docs/example.yaml', env });
      expect(r.ok, r.ok ? '' : r.error.map(formatScenarioIssue).join('\n')).toBe(true);
    }
  });

  it('the error example is what the loader says', () => {
    const y = `registar:
  host: x
accounts:
  - id: alice
    aor: sip:alice@lab.test
    password: \${ENV:ALICE_PASSWORD}
call:
  target: sip:bob@lab.test
  duration: soon
`;
    const r = parseScenario(y, { file: '/x/branch.yaml', env: {} });
    const text = readFileSync(DOC, 'utf8');
    if (r.ok) throw new Error('expected issues');
    for (const i of r.error.filter((x) => x.field !== 'registrar')) {
      const line = formatScenarioIssue(i).replace(/^branch\.yaml:\d+/, '');
      expect(text).toContain(line);
    }
  });
});
