import { afterAll, beforeAll, expect } from 'vitest';

// Every test file must end with no sockets, servers or timers of its own still open
// (DESIGN.md convention 8, pion's test.CheckRoutines). Node lists its live handles; compare the
// ones a test can leak before and after the file, giving closes a moment to finish.
const WATCHED = ['UDPWrap', 'TCPSocketWrap', 'TCPServerWrap', 'TLSWrap', 'Timeout', 'ProcessWrap', 'FSEventWrap'];

function counts(): Record<string, number> {
  const c: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo()) if (WATCHED.includes(r)) c[r] = (c[r] ?? 0) + 1;
  return c;
}

let before: Record<string, number> = {};

beforeAll(() => {
  before = counts();
});

afterAll(async () => {
  let after = counts();
  for (let i = 0; i < 50; i++) {
    const leaked = Object.keys(after).some((k) => (after[k] ?? 0) > (before[k] ?? 0));
    if (!leaked) break;
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setTimeout(r, 20));
    after = counts();
  }
  const leaks = Object.fromEntries(Object.entries(after).filter(([k, n]) => n > (before[k] ?? 0)).map(([k, n]) => [k, n - (before[k] ?? 0)]));
  expect(leaks, 'handles left open by this test file').toEqual({});
});
