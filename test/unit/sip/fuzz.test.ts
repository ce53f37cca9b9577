import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { badRequestFor } from '../../../main/sip/bad-request';
import { SipStreamDeframer } from '../../../main/sip/deframer';
import { parseDigestAuthorization, parseDigestChallenge } from '../../../main/sip/digest';
import { parseCSeq, parseNameAddr, parseVia } from '../../../main/sip/header-values';
import { getHeader } from '../../../main/sip/message';
import { parseMultipart } from '../../../main/sip/multipart';
import { parseSipMessage } from '../../../main/sip/parse';
import { serializeSipMessage } from '../../../main/sip/serialize';
import { parseSipUri } from '../../../main/sip/uri';
import { loadSipFixture } from '../../fixtures/sip/load';
import { mutate } from './mutate';

const RUNS = 30_000;
const corpus = ['lync-invite-multipart.sip', 'options-compact.sip', 'register-401.sip'].map(loadSipFixture);

describe('SIP codec fuzz', () => {
  it(`survives ${RUNS} mutated messages: no exception, errors well-formed, successes re-serialize`, { timeout: 60_000 }, () => {
    const rng = new SeededRandom(0x5eed5);
    let parsedOk = 0;
    let answered400 = 0;
    const failures: string[] = [];
    for (let n = 0; n < RUNS; n++) {
      const input = n % 50 === 0 ? randomText(rng) : mutate(rng, corpus[rng.int(corpus.length)]!);
      const bytes = new TextEncoder().encode(input);
      const r = parseSipMessage(bytes);
      if (r.ok) {
        parsedOk++;
        // Whatever parses must write back out and parse again.
        if (!parseSipMessage(serializeSipMessage(r.value)).ok) failures.push(`re-parse failed: ${JSON.stringify(input.slice(0, 200))}`);
        for (const h of r.value.headers) {
          parseVia(h.value);
          parseNameAddr(h.value);
          parseCSeq(h.value);
          parseSipUri(h.value);
          parseDigestChallenge(h.value);
          parseDigestAuthorization(h.value);
        }
        const ct = getHeader(r.value, 'Content-Type');
        if (ct) parseMultipart(r.value.body, ct);
      } else {
        const e = r.error;
        if (e.code !== 'SIP_PARSE' || !(e.offset >= 0 && e.offset <= Math.max(bytes.length, 65536)) || e.reason === '') {
          failures.push(`bad error ${JSON.stringify(e)}`);
        }
        const answer = badRequestFor(bytes, r.error);
        if (answer !== undefined) {
          answered400++;
          // Our own 400 must itself be a well-formed response.
          const back = parseSipMessage(answer);
          if (!back.ok || back.value.kind !== 'response' || back.value.status !== 400) failures.push(`bad 400: ${answer.slice(0, 200)}`);
        }
      }
      if (n % 10 === 0) {
        const d = new SipStreamDeframer();
        for (let i = 0; i < bytes.length; ) {
          const step = 1 + rng.int(700);
          d.push(bytes.subarray(i, i + step));
          i += step;
        }
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    // The mutator must leave enough intact to reach deep code, and break enough to test errors.
    expect(parsedOk).toBeGreaterThan(RUNS * 0.05);
    expect(parsedOk).toBeLessThan(RUNS * 0.95);
    expect(answered400).toBeGreaterThan(0);
  });
});

function randomText(rng: SeededRandom): string {
  return Array.from({ length: rng.int(2000) }, () => String.fromCharCode(rng.int(256))).join('');
}
