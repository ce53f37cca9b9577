import type { SeededRandom } from '../../../main/common/random';

/**
 * Seeded mutations for fuzzing text protocols: byte noise plus structure-aware edits (the
 * characters SIP, SDP and XML grammars hinge on), so inputs get past the first check.
 */
const SPECIALS = ['\r\n', '\r\n ', '\n', '\r', ':', ';', ',', '"', '\\', '<', '>', '=', '@', '[', ']', ' ', '\t', '\0', '--', '/', '&', '\u00ff', '\ud83d\ude00', '99999999999', '-1', '0.', '<!DOCTYPE', '<![CDATA[', '&amp;', 'typ ', 'a=', 'm='];

export function mutate(rng: SeededRandom, input: string): string {
  let s = input;
  const edits = 1 + rng.int(4);
  for (let e = 0; e < edits; e++) {
    const at = rng.int(s.length + 1);
    switch (rng.int(9)) {
      case 0: // flip one character
        s = s.slice(0, at) + String.fromCharCode(rng.int(256)) + s.slice(at + 1);
        break;
      case 1: // insert a grammar character
        s = s.slice(0, at) + SPECIALS[rng.int(SPECIALS.length)]! + s.slice(at);
        break;
      case 2: // delete a range
        s = s.slice(0, at) + s.slice(at + rng.int(40));
        break;
      case 3: // duplicate a range
        s = s.slice(0, at) + s.slice(at, at + rng.int(200)) + s.slice(at);
        break;
      case 4: // truncate
        s = s.slice(0, at);
        break;
      case 5: { // swap two lines
        const lines = s.split('\n');
        const i = rng.int(lines.length);
        const j = rng.int(lines.length);
        [lines[i], lines[j]] = [lines[j]!, lines[i]!];
        s = lines.join('\n');
        break;
      }
      case 6: // replace a number with an extreme one
        s = s.replace(/\d+/, ['0', '4294967296', '65536', '-5', '1e9', '00000000000000000001'][rng.int(6)]!);
        break;
      case 7: // repeat a line many times
        {
          const lines = s.split('\n');
          const i = rng.int(lines.length);
          lines.splice(i, 0, ...Array<string>(rng.int(300)).fill(lines[i] ?? ''));
          s = lines.join('\n');
        }
        break;
      default: // random bytes
        s = s.slice(0, at) + Array.from({ length: rng.int(20) }, () => String.fromCharCode(rng.int(256))).join('') + s.slice(at);
    }
  }
  return s;
}
