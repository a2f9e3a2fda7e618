import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
);

const PALETTE = [
  '#2563eb',
  '#16a34a',
  '#ea580c',
  '#9333ea',
  '#0891b2',
  '#dc2626',
  '#ca8a04',
  '#4b5563',
  '#db2777',
];
export const colour = (index: number) => PALETTE[index % PALETTE.length]!;

export interface Series {
  label: string;
  values: number[];
}

/** A Chart.js bar or line chart of labelled series; redrawn when its data change. */
export function SeriesChart(props: {
  kind: 'bar' | 'line';
  labels: string[];
  series: Series[];
  stacked?: boolean;
  title: string;
  height?: number;
}) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const config: ChartConfiguration<'bar' | 'line'> = {
      type: props.kind,
      data: {
        labels: props.labels,
        datasets: props.series.map((series, index) => ({
          label: series.label,
          data: series.values,
          backgroundColor: colour(index),
          borderColor: colour(index),
          pointRadius: 0,
          borderWidth: props.kind === 'line' ? 2 : 0,
        })),
      },
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'index', intersect: false },
        plugins: { legend: { display: props.series.length > 1, position: 'bottom' } },
        scales: {
          x: { stacked: props.stacked ?? false, ticks: { maxTicksLimit: 12 } },
          y: { stacked: props.stacked ?? false, beginAtZero: true },
        },
      },
    };
    const chart = new Chart(canvas.current, config);
    return () => chart.destroy();
  }, [props.kind, props.labels, props.series, props.stacked]);
  return (
    <figure class="chart" style={{ height: `${props.height ?? 240}px` }}>
      <canvas ref={canvas} role="img" aria-label={props.title} />
      <figcaption>{props.title}</figcaption>
    </figure>
  );
}

/** A small line without axes, for a table cell: members over time. */
export function Sparkline(props: { values: number[]; label: string }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, {
      type: 'line',
      data: {
        labels: props.values.map((_, index) => String(index)),
        datasets: [
          { data: props.values, borderColor: colour(0), borderWidth: 1.5, pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        events: [],
        plugins: { legend: { display: false }, tooltip: { enabled: false } },
        scales: { x: { display: false }, y: { display: false, beginAtZero: true } },
      },
    });
    return () => chart.destroy();
  }, [props.values]);
  return <canvas ref={canvas} width={120} height={28} role="img" aria-label={props.label} />;
}
