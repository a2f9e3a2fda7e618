import type { ChannelsReport } from '@rapport/schemas';
import { query } from '../api.js';
import { SeriesChart } from '../chart.js';
import { formatCount, formatMoney, formatShare } from '../format.js';
import { RangePicker, rangeOf } from '../range-picker.js';
import type { Route } from '../router.js';
import { Loading, Section, Table, type Column } from '../ui.js';
import { useApi } from '../use-api.js';
import { PeriodNote } from './period-note.js';

type Figures = ChannelsReport['channels'][number];

function figureColumns<T extends Omit<Figures, 'channel'>>(currency: string): Column<T>[] {
  return [
    { label: 'visits', key: 'visits', value: (r) => formatCount(r.visits), numeric: true },
    { label: 'profiles', key: 'profiles', value: (r) => formatCount(r.profiles), numeric: true },
    {
      label: 'identified',
      key: 'identified',
      value: (r) => formatCount(r.identified),
      numeric: true,
    },
    { label: 'orders', key: 'orders', value: (r) => formatCount(r.orders), numeric: true },
    {
      label: 'revenue',
      key: 'revenue',
      value: (r) => formatMoney(r.revenue, currency),
      numeric: true,
    },
    {
      label: 'conversion',
      key: 'conversion',
      value: (r) => formatShare(r.conversionRate),
      numeric: true,
    },
  ];
}

function Channels(props: { report: ChannelsReport }) {
  const { report } = props;
  return (
    <>
      <PeriodNote from={report.from} to={report.to} />
      <div class="grid">
        <Section title="Visits and orders per channel">
          <SeriesChart
            kind="bar"
            labels={report.channels.map((c) => c.channel)}
            series={[
              { label: 'visits', values: report.channels.map((c) => c.visits) },
              { label: 'orders', values: report.channels.map((c) => c.orders) },
            ]}
            title="visits and orders per channel"
          />
        </Section>
        <Section title="Channels">
          <Table
            id="channels"
            columns={[
              { label: 'channel', key: 'channel', value: (r) => r.channel },
              ...figureColumns<Figures>(report.currency),
            ]}
            rows={report.channels}
          />
        </Section>
      </div>
      <Section title="Campaign tags (source / medium / name of the visit's first tagged event)">
        <Table
          id="campaign-tags"
          columns={[
            { label: 'source', key: 'source', value: (r) => r.source || '(untagged)' },
            { label: 'medium', key: 'medium', value: (r) => r.medium || '—' },
            { label: 'name', key: 'name', value: (r) => r.name || '—' },
            ...figureColumns<ChannelsReport['campaigns'][number]>(report.currency),
          ]}
          rows={report.campaigns}
        />
      </Section>
    </>
  );
}

export function ChannelsPage(props: { route: Route }) {
  const state = useApi<ChannelsReport>(`/v1/reports/channels${query(rangeOf(props.route))}`);
  return (
    <>
      <h1>Channels</h1>
      <RangePicker route={props.route} />
      <Loading state={state}>{(report) => <Channels report={report} />}</Loading>
    </>
  );
}
