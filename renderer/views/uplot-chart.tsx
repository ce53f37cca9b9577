import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartProps {
  readonly title: string;
  readonly unit: string;
  readonly x: readonly number[];
  readonly y: ReadonlyArray<number | null>;
  readonly color: string;
  /** Changes of theme recreate the chart with the new colours. */
  readonly theme: string;
  readonly height?: number;
  /** The y axis spans at least [yMin, yMinTop], so a flat or tiny series is not blown up to fill it. */
  readonly yMin?: number;
  readonly yMinTop?: number;
  readonly yMaxTop?: number;
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/**
 * One uPlot line chart. It draws on a canvas after mount, so server rendering (the component
 * tests) gets the sized, labelled container only; new data goes in with setData, not a rebuild.
 */
export function UPlotChart({ title, unit, x, y, color, theme, height = 140, yMin = 0, yMinTop = 1, yMaxTop = Infinity }: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const fg = cssVar('--fg-muted', '#666');
    const grid = cssVar('--grid', '#ddd');
    const u = new uPlot(
      {
        width: Math.max(200, el.clientWidth),
        height,
        legend: { show: false },
        cursor: { drag: { x: false, y: false } },
        scales: { x: { time: false }, y: { range: (_u, _min, max) => [yMin, Math.min(yMaxTop, Math.max(yMinTop, (max ?? 0) * 1.15))] } },
        axes: [
          { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, values: (_u, vals) => vals.map((v) => `${v}s`) },
          { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid }, size: 50 },
        ],
        series: [{}, { label: `${title}${unit ? ` (${unit})` : ''}`, stroke: color, width: 2, spanGaps: false, points: { show: true, size: 4 } }],
      },
      [[], []],
      el,
    );
    plot.current = u;
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(200, el.clientWidth), height }));
    ro.observe(el);
    return () => {
      ro.disconnect();
      u.destroy();
      plot.current = null;
    };
  }, [title, unit, color, theme, height, yMin, yMinTop, yMaxTop]);

  useEffect(() => {
    plot.current?.setData([x as number[], y as Array<number | null>]);
  }, [x, y, theme]);

  return (
    <figure className="chart">
      <figcaption>
        {title}
        {unit ? ` (${unit})` : ''}
      </figcaption>
      <div ref={host} className="chart-canvas" style={{ height }} role="img" aria-label={`${title} over time, ${y.filter((v) => v !== null).length} points`} />
    </figure>
  );
}
