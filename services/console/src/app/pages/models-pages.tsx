import type { ClustersReport, ClvReport, RfmReport } from '@rapport/schemas';
import { useState } from 'preact/hooks';
import { sendJson } from '../api.js';
import { SeriesChart } from '../chart.js';
import { formatCount, formatInstant, formatMoney, formatNumber, formatShare } from '../format.js';
import { href } from '../router.js';
import { Loading, Section, Stat, Stats, Table } from '../ui.js';
import { useApi } from '../use-api.js';

const NO_RUN = 'Start a run on the Jobs page first.';

interface CellMembers {
  r: number;
  f: number;
  count: number;
  sample: { customerId: string | null }[];
}

/** The customers of one grid cell, through a segment preview on the latest scores. */
function useCell() {
  const [cell, setCell] = useState<CellMembers | string | null>(null);
  const open = async (r: number, f: number) => {
    const rule = {
      type: 'and',
      rules: [
        { type: 'field', field: 'rfm.r', op: 'eq', value: r },
        { type: 'field', field: 'rfm.f', op: 'eq', value: f },
      ],
    };
    try {
      const answer = await sendJson<Omit<CellMembers, 'r' | 'f'>>('POST', '/v1/segments/preview', {
        rule,
        sample: 100,
      });
      setCell({ r, f, ...answer });
    } catch (failure) {
      setCell(failure instanceof Error ? failure.message : String(failure));
    }
  };
  return { cell, open };
}

function CellList(props: { cell: CellMembers | string | null }) {
  const { cell } = props;
  if (cell === null) return <p class="muted">Choose a cell to list its customers.</p>;
  if (typeof cell === 'string') return <p class="error">{cell}</p>;
  return (
    <div data-testid="rfm-cell">
      <p>
        R{cell.r} F{cell.f}: {formatCount(cell.count)} customers
        {cell.count > cell.sample.length ? `, the first ${cell.sample.length}` : ''}
      </p>
      <ul class="cell-list">
        {cell.sample.map((m) => (
          <li>
            <a href={href(['customers', m.customerId ?? ''])}>{m.customerId}</a>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function RfmPage() {
  const state = useApi<RfmReport>('/v1/reports/rfm');
  const { cell: chosen, open } = useCell();
  return (
    <>
      <h1>RFM</h1>
      <Loading state={state}>
        {(report) => {
          const max = Math.max(1, ...report.grid.map((c) => c.customers));
          return (
            <>
              <p class="muted">
                Run {report.runId}, as of {formatInstant(report.asOf)}.
              </p>
              <Stats>
                <Stat
                  id="rfm-customers"
                  label="customers scored"
                  value={formatCount(report.customers)}
                />
              </Stats>
              <div class="grid">
                <Section title="Recency × frequency: customers and value per cell">
                  <table class="heat" data-testid="rfm-grid">
                    <thead>
                      <tr>
                        <th scope="col">R \ F</th>
                        {[1, 2, 3, 4, 5].map((f) => (
                          <th scope="col">F{f}</th>
                        ))}
                      </tr>
                    </thead>
                    <tbody>
                      {[5, 4, 3, 2, 1].map((r) => (
                        <tr>
                          <th scope="row">R{r}</th>
                          {[1, 2, 3, 4, 5].map((f) => {
                            const cell = report.grid.find((c) => c.r === r && c.f === f)!;
                            return (
                              <td
                                class="num"
                                data-col={`r${r}f${f}`}
                                style={{
                                  background: `rgba(37, 99, 235, ${(0.4 * cell.customers) / max})`,
                                }}
                              >
                                <button
                                  type="button"
                                  class="cell"
                                  aria-label={`${formatCount(cell.customers)} customers in R${r} F${f}`}
                                  onClick={() => void open(r, f)}
                                >
                                  {formatCount(cell.customers)}
                                </button>
                                <small>{formatMoney(cell.monetary, report.currency)}</small>
                              </td>
                            );
                          })}
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </Section>
                <Section title="Customers of a cell">
                  <CellList cell={chosen} />
                </Section>
                <Section title="Named segments">
                  <Table
                    id="rfm-segments"
                    columns={[
                      { label: 'segment', key: 'segment', value: (s) => s.segment },
                      {
                        label: 'customers',
                        key: 'customers',
                        value: (s) => formatCount(s.customers),
                        numeric: true,
                      },
                      {
                        label: 'share',
                        key: 'share',
                        value: (s) => formatShare(s.share),
                        numeric: true,
                      },
                      {
                        label: 'value',
                        key: 'monetary',
                        value: (s) => formatMoney(s.monetary, report.currency),
                        numeric: true,
                      },
                    ]}
                    rows={report.segments}
                  />
                </Section>
              </div>
            </>
          );
        }}
      </Loading>
      {state.error ? <p class="muted">{NO_RUN}</p> : null}
    </>
  );
}

export function ClvPage() {
  const state = useApi<ClvReport>('/v1/reports/clv?top=20');
  return (
    <>
      <h1>Customer lifetime value</h1>
      <Loading state={state}>
        {(report) => {
          const money = (value: number) => formatMoney(value, report.currency);
          return (
            <>
              <p class="muted">
                Run {report.runId}, as of {formatInstant(report.asOf)}.
              </p>
              <Stats>
                <Stat id="clv-customers" label="customers" value={formatCount(report.customers)} />
                <Stat id="clv-total" label="total CLV" value={money(report.totals.clv)} />
                <Stat
                  id="clv-expected-orders"
                  label="expected orders"
                  value={formatNumber(report.totals.expectedOrders)}
                />
                <Stat
                  id="clv-palive"
                  label="mean P(alive)"
                  value={formatShare(report.totals.meanPAlive)}
                />
              </Stats>
              <div class="grid">
                <Section title="CLV by decile">
                  <SeriesChart
                    kind="bar"
                    labels={report.clvDeciles.map((d) => `D${d.decile}`)}
                    series={[{ label: 'CLV', values: report.clvDeciles.map((d) => d.clv) }]}
                    title="CLV per decile"
                  />
                </Section>
                <Section title="P(alive)">
                  <SeriesChart
                    kind="bar"
                    labels={report.pAliveHistogram.map(
                      (b) => `${b.from.toFixed(1)}–${b.to.toFixed(1)}`,
                    )}
                    series={[
                      {
                        label: 'customers',
                        values: report.pAliveHistogram.map((b) => b.customers),
                      },
                    ]}
                    title="customers by probability of being alive"
                  />
                </Section>
              </div>
              <Section title="Top customers">
                <Table
                  id="clv-top"
                  columns={[
                    {
                      label: 'customer',
                      key: 'customer',
                      value: (c) => <a href={href(['customers', c.customerId])}>{c.customerId}</a>,
                    },
                    {
                      label: 'orders',
                      key: 'orders',
                      value: (c) => formatCount(c.orders),
                      numeric: true,
                    },
                    {
                      label: 'P(alive)',
                      key: 'pAlive',
                      value: (c) => formatShare(c.pAlive),
                      numeric: true,
                    },
                    {
                      label: 'expected orders',
                      key: 'expectedOrders',
                      value: (c) => formatNumber(c.expectedOrders),
                      numeric: true,
                    },
                    { label: 'CLV', key: 'clv', value: (c) => money(c.clv), numeric: true },
                  ]}
                  rows={report.top}
                />
              </Section>
              <Section title="Fit diagnostics">
                <pre tabIndex={0} aria-label="fit diagnostics">
                  {JSON.stringify(report.diagnostics, null, 2)}
                </pre>
              </Section>
            </>
          );
        }}
      </Loading>
      {state.error ? <p class="muted">{NO_RUN}</p> : null}
    </>
  );
}

export function ClustersPage() {
  const state = useApi<ClustersReport>('/v1/reports/clusters');
  return (
    <>
      <h1>Clusters</h1>
      <Loading state={state}>
        {(report) => (
          <>
            <p class="muted">
              Run {report.runId}: k = {report.k} (chosen by {report.kChosenBy}), silhouette{' '}
              {report.silhouette === null ? '—' : formatNumber(report.silhouette)}
              {report.minClusterShare === null
                ? ''
                : `, each cluster at least ${formatShare(report.minClusterShare)} of the profiles`}
              .
            </p>
            {report.warnings.length > 0 ? (
              <div class="warnings" role="status" data-testid="clusters-warnings">
                <strong>This run has warnings:</strong>
                <ul>
                  {report.warnings.map((warning) => (
                    <li>{warning}</li>
                  ))}
                </ul>
              </div>
            ) : null}
            <Stats>
              <Stat id="clusters-profiles" label="profiles" value={formatCount(report.profiles)} />
              <Stat id="clusters-k" label="clusters" value={String(report.k)} />
            </Stats>
            <div class="grid">
              <Section title="Sizes">
                <SeriesChart
                  kind="bar"
                  labels={report.clusters.map((c) => `${c.id}: ${c.label}`)}
                  series={[{ label: 'profiles', values: report.clusters.map((c) => c.size) }]}
                  title="profiles per cluster"
                />
              </Section>
              <Section title="Centroids (each feature relative to its mean over every profile)">
                <SeriesChart
                  kind="bar"
                  labels={report.features.map((f) => f.name)}
                  series={report.clusters.map((c) => ({
                    label: `${c.id}: ${c.label}`,
                    values: report.features.map((f) =>
                      f.populationMean === 0 ? 0 : (c.centroid[f.name] ?? 0) / f.populationMean,
                    ),
                  }))}
                  title="centroids relative to the population mean"
                  height={300}
                />
              </Section>
            </div>
            <Section title="Clusters">
              <Table
                id="clusters"
                columns={[
                  { label: 'cluster', key: 'id', value: (c) => c.id, numeric: true },
                  { label: 'label', key: 'label', value: (c) => c.label },
                  {
                    label: 'profiles',
                    key: 'size',
                    value: (c) => formatCount(c.size),
                    numeric: true,
                  },
                  {
                    label: 'share',
                    key: 'share',
                    value: (c) => formatShare(c.share),
                    numeric: true,
                  },
                ]}
                rows={report.clusters}
              />
            </Section>
            <Section title="Numbers of clusters tried">
              <Table
                id="clusters-tried"
                columns={[
                  { label: 'k', key: 'k', value: (t) => t.k, numeric: true },
                  {
                    label: 'silhouette',
                    key: 'silhouette',
                    value: (t) => (t.silhouette === null ? '—' : formatNumber(t.silhouette)),
                    numeric: true,
                  },
                  {
                    label: 'inertia',
                    key: 'inertia',
                    value: (t) => formatNumber(t.inertia),
                    numeric: true,
                  },
                  {
                    label: 'turned down',
                    key: 'shortfall',
                    value: (t) =>
                      t.shortfall
                        ? `${t.shortfall.clusters} clusters with profiles, the smallest ${formatShare(t.shortfall.smallestShare)}`
                        : '',
                  },
                ]}
                rows={report.tried}
              />
            </Section>
          </>
        )}
      </Loading>
      {state.error ? <p class="muted">{NO_RUN}</p> : null}
    </>
  );
}
