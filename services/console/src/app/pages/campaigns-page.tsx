import type { CampaignsReport } from '@rapport/schemas';
import { query } from '../api.js';
import { SeriesChart } from '../chart.js';
import { formatCount, formatMoney, formatShare } from '../format.js';
import { RangePicker, rangeOf } from '../range-picker.js';
import { navigate, type Route } from '../router.js';
import { Loading, Section, Stat, Stats, Table } from '../ui.js';
import { useApi } from '../use-api.js';
import { PeriodNote } from './period-note.js';

const STEPS = ['sent', 'delivered', 'opened', 'clicked', 'ordered'] as const;

function Campaigns(props: { report: CampaignsReport }) {
  const { report } = props;
  const { totals } = report;
  const money = (value: number) => formatMoney(value, report.currency);
  return (
    <>
      <PeriodNote from={report.from} to={report.to} />
      <Stats>
        <Stat id="campaign-count" label="campaigns" value={formatCount(report.campaigns.length)} />
        {STEPS.map((step) => (
          <Stat id={`total-${step}`} label={step} value={formatCount(totals[step])} />
        ))}
        <Stat id="total-revenue" label="attributed revenue" value={money(totals.revenue)} />
      </Stats>
      <Section title="The funnel, all campaigns of the period">
        <SeriesChart
          kind="bar"
          labels={[...STEPS]}
          series={[{ label: 'recipients', values: STEPS.map((step) => totals[step]) }]}
          title="email funnel"
        />
      </Section>
      <Section title="Campaigns">
        <Table
          id="campaigns"
          columns={[
            { label: 'campaign', key: 'campaign', value: (c) => c.campaignId },
            { label: 'first sent', key: 'firstSent', value: (c) => c.firstSentAt.slice(0, 10) },
            ...STEPS.map((step) => ({
              label: step,
              key: step,
              value: (c: CampaignsReport['campaigns'][number]) => formatCount(c[step]),
              numeric: true,
            })),
            {
              label: 'open rate',
              key: 'openRate',
              value: (c) => formatShare(c.rates.open),
              numeric: true,
            },
            {
              label: 'click rate',
              key: 'clickRate',
              value: (c) => formatShare(c.rates.click),
              numeric: true,
            },
            {
              label: 'bounced',
              key: 'bounced',
              value: (c) => formatCount(c.bounced),
              numeric: true,
            },
            {
              label: 'unsubscribed',
              key: 'unsubscribed',
              value: (c) => formatCount(c.unsubscribed),
              numeric: true,
            },
            {
              label: 'complaints',
              key: 'complained',
              value: (c) => formatCount(c.complained),
              numeric: true,
            },
            { label: 'revenue', key: 'revenue', value: (c) => money(c.revenue), numeric: true },
          ]}
          rows={report.campaigns}
          empty="No campaign was first sent in this period."
        />
      </Section>
    </>
  );
}

export function CampaignsPage(props: { route: Route }) {
  const attributionDays = props.route.params.get('attributionDays') ?? '7';
  const state = useApi<CampaignsReport>(
    `/v1/reports/campaigns${query({ ...rangeOf(props.route), attributionDays })}`,
  );
  const others = Object.fromEntries(props.route.params);
  return (
    <>
      <h1>Email campaigns</h1>
      <RangePicker route={props.route} />
      <label class="inline">
        Attribution window (days)
        <input
          type="number"
          min={1}
          max={90}
          name="attributionDays"
          value={attributionDays}
          onChange={(event) =>
            navigate(props.route.path, { ...others, attributionDays: event.currentTarget.value })
          }
        />
      </label>
      <Loading state={state}>{(report) => <Campaigns report={report} />}</Loading>
    </>
  );
}
