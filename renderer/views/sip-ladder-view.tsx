import { useState } from 'react';
import type { EngineEvent } from '../../main/api';
import { fmtMs } from '../model/format';
import { ladderOf } from '../model/ladder';
import { Empty } from './common';

/** The SIP messages as a ladder; a message's raw text (credentials redacted) opens on click or Enter. */
export function SipLadderView({ events }: { events: readonly EngineEvent[] }) {
  const m = ladderOf(events);
  const [open, setOpen] = useState<number | null>(null);
  if (!m.messages.length) {
    return (
      <Empty title="No SIP messages yet.">
        REGISTER, SERVICE (MRAS), INVITE, 183, 200, ACK and BYE appear here as a ladder between the parties once a call runs. A lab ICE run has no SIP.
      </Empty>
    );
  }
  const cols = m.parties.length;
  const t0 = events[0]?.at ?? 0;
  const selected = open !== null ? m.messages[open] : undefined;
  return (
    <div className="ladder-wrap">
      <div className="ladder" style={{ gridTemplateColumns: `6em repeat(${cols}, minmax(8em, 1fr))` }} role="list" aria-label="SIP ladder">
        <div className="ladder-head" />
        {m.parties.map((p) => (
          <div key={p} className="ladder-head mono">
            {p}
          </div>
        ))}
        {m.messages.map((msg) => {
          const a = m.parties.indexOf(msg.from);
          const b = m.parties.indexOf(msg.to);
          const lo = Math.min(a, b);
          const hi = Math.max(a, b);
          return (
            <button
              type="button"
              key={msg.index}
              role="listitem"
              className={`ladder-row${open === msg.index ? ' selected' : ''}`}
              style={{ gridColumn: `1 / span ${cols + 1}` }}
              onClick={() => setOpen(open === msg.index ? null : msg.index)}
              aria-expanded={open === msg.index}
              aria-label={`${fmtMs(msg.at - t0)} ${msg.from} to ${msg.to}: ${msg.summary}`}
            >
              <span className="ladder-time">{fmtMs(msg.at - t0)}</span>
              <span
                className={`ladder-arrow ${a < b ? 'right' : 'left'}`}
                style={{ marginLeft: `calc(6em + (100% - 6em) * ${(lo + 0.5) / cols})`, width: `calc((100% - 6em) * ${(hi - lo) / cols})` }}
              >
                <span className="ladder-label">{msg.summary}</span>
              </span>
            </button>
          );
        })}
      </div>
      {selected ? (
        <section className="raw" aria-label="Raw SIP message">
          <h3>
            {selected.direction === 'sent' ? 'Sent to' : 'Received from'} {selected.direction === 'sent' ? selected.to : selected.from} over {selected.transport}
            {selected.callId ? <span className="muted"> · Call-ID {selected.callId}</span> : null}
          </h3>
          <pre className="mono">{selected.text}</pre>
        </section>
      ) : (
        <p className="muted">Select a message to see its raw text.</p>
      )}
    </div>
  );
}
