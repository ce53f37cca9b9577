import type { EngineEvent } from '../../main/api';
import { chartsOf, METRIC_LABELS, METRICS } from '../model/charts';
import { fmtNum } from '../model/format';
import { Empty } from './common';
import { UPlotChart } from './uplot-chart';

const COLORS: Readonly<Record<(typeof METRICS)[number], string>> = { lossPct: '#d64545', jitterMs: '#d98e04', rttMs: '#2f7ed8', mos: '#2e9d5b' };

/** Live figures per path epoch (a path change opens a new epoch), and the per-path matrix. */
export function ChartsView({ events, theme = 'light' }: { events: readonly EngineEvent[]; theme?: string }) {
  const epochs = chartsOf(events);
  if (!epochs.length) {
    return (
      <Empty title="No media figures yet.">
        Loss, jitter, round-trip time and MOS appear here per path epoch once a call sends synthetic RTP (media statistics come with calls; a lab ICE run sends no media).
      </Empty>
    );
  }
  return (
    <div className="stack">
      <table className="grid" data-testid="epoch-matrix">
        <caption>Per path epoch (means over the epoch)</caption>
        <thead>
          <tr>
            <th scope="col">Epoch</th>
            <th scope="col">Path</th>
            {METRICS.map((m) => (
              <th scope="col" key={m}>
                {METRIC_LABELS[m].name}
                {METRIC_LABELS[m].unit ? ` (${METRIC_LABELS[m].unit})` : ''}
              </th>
            ))}
            <th scope="col">Packets sent / received</th>
          </tr>
        </thead>
        <tbody>
          {epochs.map((ep) => (
            <tr key={ep.epoch}>
              <td>{ep.epoch}</td>
              <td className="mono">{ep.path?.label ?? '(no path)'}</td>
              {METRICS.map((m) => (
                <td key={m} className="num">
                  {fmtNum(ep.summary[m], METRIC_LABELS[m].digits)}
                </td>
              ))}
              <td className="num">
                {ep.packetsSent} / {ep.packetsReceived}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {epochs.map((ep) => (
        <section key={ep.epoch} className="epoch" aria-label={`Epoch ${ep.epoch}`}>
          <h3>
            Epoch {ep.epoch}: <span className="mono">{ep.path?.label ?? '(no path)'}</span>
          </h3>
          <div className="charts">
            {METRICS.map((m) => (
              <UPlotChart
                key={m}
                title={METRIC_LABELS[m].name}
                unit={METRIC_LABELS[m].unit}
                x={ep.t}
                y={ep.values[m]}
                color={COLORS[m]}
                theme={theme}
                yMin={METRIC_LABELS[m].yMin}
                yMinTop={METRIC_LABELS[m].yMinTop}
                yMaxTop={METRIC_LABELS[m].yMaxTop}
              />
            ))}
          </div>
        </section>
      ))}
    </div>
  );
}
