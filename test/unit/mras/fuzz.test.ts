import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { parseProvisioningRequest, parseServerConfiguration } from '../../../main/mras/provisioning-xml';
import { buildMrasRequest, credentialsRequestFor, grantFromResponse, parseMrasRequest, parseMrasResponse } from '../../../main/mras/xml';
import { loadMrasFixture } from '../../fixtures/mras/load';
import { mutate } from '../sip/mutate';

const RUNS = 20_000;
const responses = ['mras-response-ok.xml', 'mras-response-prefixed.xml', 'mras-response-malformed.xml'].map(loadMrasFixture);
const provisioning = ['provisioning-ok.xml', 'provisioning-property-list.xml', 'provisioning-no-edge.xml'].map(loadMrasFixture);
const requests = [buildMrasRequest(credentialsRequestFor({ requestId: '1', identity: 'sip:a@example.test', mrasUri: 'sip:m@example.test', location: 'intranet' }))];

describe('MRAS XML fuzz', () => {
  it(`survives ${RUNS} mutated documents: no exception, coded errors only`, { timeout: 60_000 }, () => {
    const rng = new SeededRandom(0x3a5);
    const failures: string[] = [];
    let accepted = 0;
    for (let n = 0; n < RUNS; n++) {
      const kind = n % 3;
      const pool = kind === 0 ? responses : kind === 1 ? provisioning : requests;
      const input = mutate(rng, pool[rng.int(pool.length)]!);
      const results =
        kind === 0
          ? [parseMrasResponse(input)]
          : kind === 1
            ? [parseServerConfiguration(input), parseProvisioningRequest(input)]
            : [parseMrasRequest(input)];
      for (const r of results) {
        if (r.ok) accepted++;
        else if ((r.error.code !== 'MRAS_PARSE' && r.error.code !== 'MRAS_FAILED') || r.error.reason === '') failures.push(JSON.stringify(r.error));
      }
      const first = results[0]!;
      if (kind === 0 && first.ok && 'reasonPhrase' in first.value) grantFromResponse(first.value);
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(accepted).toBeGreaterThan(RUNS * 0.05);
  });
});
