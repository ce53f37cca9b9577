// STUN decode and integrity-check throughput on the RFC 5769 sample request: messages per second.
import { decodeStun, checkIntegrity, checkFingerprint, shortTermKey } from '../main/stun';
import { SAMPLE_REQUEST, SHORT_TERM_PASSWORD } from '../test/fixtures/rfc5769';

const N = Number(process.argv[2] ?? 200_000);
const key = shortTermKey(SHORT_TERM_PASSWORD);
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const r = decodeStun(SAMPLE_REQUEST);
  if (!r.ok || checkIntegrity(r.value, key) !== 'valid' || checkFingerprint(r.value) !== 'valid') throw new Error('vector failed');
}
const ms = performance.now() - t0;
process.stdout.write(`STUN decode + MESSAGE-INTEGRITY + FINGERPRINT: ${N} messages in ${ms.toFixed(0)} ms = ${Math.round(N / (ms / 1000))} msg/s (${((ms * 1000) / N).toFixed(2)} µs each)\n`);
