import type { EngineEvent } from '../../main/api';
import { firstLine } from './path-timeline';

export const US = 'mediapath';

export interface LadderMessage {
  readonly index: number;
  readonly at: number;
  readonly from: string;
  readonly to: string;
  readonly direction: 'sent' | 'received';
  readonly summary: string;
  readonly transport: string;
  readonly callId: string | null;
  readonly text: string;
}

export interface LadderModel {
  /** Columns, left to right: us, then each peer in order of first appearance. */
  readonly parties: readonly string[];
  readonly messages: readonly LadderMessage[];
}

function header(text: string, names: readonly string[]): string | null {
  for (const line of text.split(/\r?\n/)) {
    if (!line) break;
    const i = line.indexOf(':');
    if (i > 0 && names.includes(line.slice(0, i).trim().toLowerCase())) return line.slice(i + 1).trim();
  }
  return null;
}

/** The SIP messages as a ladder (like sngrep): one column per party, one arrow per message. */
export function ladderOf(events: readonly EngineEvent[]): LadderModel {
  const parties: string[] = [US];
  const messages: LadderMessage[] = [];
  for (const e of events) {
    if (e.type !== 'sip.sent' && e.type !== 'sip.received') continue;
    if (!parties.includes(e.peer)) parties.push(e.peer);
    const sent = e.type === 'sip.sent';
    messages.push({
      index: messages.length,
      at: e.at,
      from: sent ? US : e.peer,
      to: sent ? e.peer : US,
      direction: sent ? 'sent' : 'received',
      summary: firstLine(e.text),
      transport: e.transport,
      // RFC 3261 §7.3.3 compact form `i` too.
      callId: header(e.text, ['call-id', 'i']),
      text: e.text,
    });
  }
  return { parties, messages };
}
