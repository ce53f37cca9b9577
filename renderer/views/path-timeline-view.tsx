import type { EngineEvent } from '../../main/api';
import { fmtMs, reasonLabel } from '../model/format';
import { pathTimelineOf } from '../model/path-timeline';
import { Empty } from './common';

const W = 1000;
const H = 120;
const PAD = 40;

/** Every path change on a time axis with the call's SIP messages; the path in use now highlighted. */
export function PathTimelineView({ events }: { events: readonly EngineEvent[] }) {
  const m = pathTimelineOf(events);
  if (!m.changes.length) return <Empty title="No path yet.">Each time the media path changes (first working pair, promotion, nomination, consent or relay lost) it appears here with its reason.</Empty>;
  const span = m.end - m.start;
  const x = (at: number): number => PAD + ((at - m.start) / span) * (W - 2 * PAD);
  const ticks = Array.from({ length: 6 }, (_, i) => m.start + (span * i) / 5);
  const c1 = m.changes.map((c, i) => ({ c, i })).filter(({ c }) => c.component === 1);
  return (
    <div className="stack">
      <svg className="timeline" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Path timeline: ${m.changes.length} path changes`} preserveAspectRatio="none">
        <line x1={PAD} x2={W - PAD} y1={70} y2={70} className="axis" />
        {ticks.map((t, i) => (
          <g key={i}>
            <line x1={x(t)} x2={x(t)} y1={70} y2={76} className="axis" />
            <text x={x(t)} y={92} className="tick" textAnchor="middle">
              {fmtMs(t - m.start)}
            </text>
          </g>
        ))}
        {c1.map(({ c, i }, k) => {
          const next = c1[k + 1]?.c.at ?? m.end;
          return <rect key={`seg${i}`} x={x(c.at)} y={54} width={Math.max(1, x(next) - x(c.at))} height={12} className={`seg seg-${c.kind}${i === m.current ? ' current' : ''}`} />;
        })}
        {m.changes.map((c, i) => (
          <g key={`chg${i}`}>
            <circle cx={x(c.at)} cy={60} r={6} className={`mark mark-${c.kind}`} />
            <text x={x(c.at)} y={40 - (i % 2) * 14} className="tick" textAnchor="middle">
              {c.reason}
            </text>
          </g>
        ))}
        {m.marks.map((k, i) => (
          <line key={`m${i}`} x1={x(k.at)} x2={x(k.at)} y1={100} y2={112} className={`lane lane-${k.lane}`}>
            <title>{k.label}</title>
          </line>
        ))}
      </svg>
      <table className="grid wrap" data-testid="path-changes">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Reason</th>
            <th scope="col">From</th>
            <th scope="col">To</th>
          </tr>
        </thead>
        <tbody>
          {m.changes.map((c, i) => (
            <tr key={i} className={i === m.current ? 'current' : undefined} aria-current={i === m.current ? 'true' : undefined}>
              <td>{fmtMs(c.at - m.start)}</td>
              <td>
                <span className="mono">{c.reason}</span> <span className="muted">{reasonLabel(c.reason)}</span>
              </td>
              <td className="mono">{c.fromLabel}</td>
              <td className="mono">
                <span className={`kind kind-${c.kind}`}>{c.kind}</span> {c.toLabel}
                {i === m.current ? <strong> (current)</strong> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {m.marks.some((k) => k.lane === 'sip') ? <p className="muted">Lower lane: SIP messages (hover for the request or status line).</p> : null}
    </div>
  );
}
