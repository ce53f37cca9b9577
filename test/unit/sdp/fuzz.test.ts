import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../main/common/random';
import { detectIceDialect } from '../../../main/sdp/alternatives';
import { negotiateAudio } from '../../../main/sdp/offer-answer';
import { parseSdp } from '../../../main/sdp/parse';
import { writeSdp } from '../../../main/sdp/write';
import { loadSdpFixture } from '../../fixtures/sdp/load';
import { mutate } from '../sip/mutate';

const RUNS = 50_000;
const corpus = [
  'lync2013-draft6.sdp',
  'lync2013-v19.sdp',
  'sfb2016-offer-relay-tcp.sdp',
  'sfb2016-tcp-only.sdp',
  'sfb2016-reinvite.sdp',
  'lync-draft6-reinvite.sdp',
  'rfc8445-phone.sdp',
  'plain-phone.sdp',
].map(loadSdpFixture);

describe('SDP fuzz', () => {
  it(`survives ${RUNS} mutated bodies: no exception, errors carry a line, successes round-trip`, { timeout: 60_000 }, () => {
    const rng = new SeededRandom(0x5dbf);
    const failures: string[] = [];
    let parsedOk = 0;
    for (let n = 0; n < RUNS; n++) {
      const input = mutate(rng, corpus[rng.int(corpus.length)]!);
      const r = parseSdp(input);
      if (r.ok) {
        parsedOk++;
        detectIceDialect(r.value);
        negotiateAudio(r.value);
        for (const tcpSyntax of ['rfc6544', 'lync'] as const) {
          const again = parseSdp(writeSdp(r.value, { tcpSyntax }));
          if (!again.ok || JSON.stringify(again.value) !== JSON.stringify(r.value)) {
            failures.push(`${tcpSyntax} round trip: ${JSON.stringify(input.slice(0, 300))} → ${JSON.stringify(again.ok ? 'differs' : again.error)}`);
          }
        }
      } else {
        const e = r.error;
        const lines = input.split(/\r?\n/).length;
        if (e.code !== 'SDP_PARSE' || !(e.line >= 1 && e.line <= lines + 1) || e.reason === '') failures.push(`bad error ${JSON.stringify(e)}`);
      }
    }
    expect(failures.slice(0, 3)).toEqual([]);
    expect(parsedOk).toBeGreaterThan(RUNS * 0.05);
    expect(parsedOk).toBeLessThan(RUNS * 0.95);
  });
});
