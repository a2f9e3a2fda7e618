import type { OverviewReport } from '@rapport/schemas';
import { useMemo } from 'preact/hooks';
import { query } from '../api.js';
import { SeriesChart } from '../chart.js';
import { formatCount, formatMoney } from '../format.js';
import { RangePicker, rangeOf } from '../range-picker.js';
import type { Route } from '../router.js';
import { Loading, Section, Stat, Stats } from '../ui.js';
import { useApi } from '../use-api.js';
import { PeriodNote } from './period-note.js';

function charts(report: OverviewReport) {
  const days = report.orders.map((row) => row.day);
  const types = [...new Set(report.events.map((row) => row.type))].sort();
  const eventsOn = new Map<string, number>();
  for (const row of report.events) {
    const key = `${row.day}|${row.type}`;
    eventsOn.set(key, (eventsOn.get(key) ?? 0) + row.events);
  }
  return {
    days,
    events: types.map((type) => ({
      label: type,
      values: days.map((day) => eventsOn.get(`${day}|${type}`) ?? 0),
    })),
    active: [
      { label: 'active profiles', values: report.activeProfiles.daily.map((r) => r.profiles) },
    ],
    revenue: [
      { label: 'revenue', values: report.orders.map((r) => r.revenue) },
      { label: 'net revenue', values: report.orders.map((r) => r.netRevenue) },
    ],
    customers: [
      { label: 'new', values: report.customers.map((r) => r.new) },
      { label: 'returning', values: report.customers.map((r) => r.returning) },
    ],
  };
}

function Overview(props: { report: OverviewReport }) {
  const { report } = props;
  const data = useMemo(() => charts(report), [report]);
  const money = (value: number) => formatMoney(value, report.currency);
  return (
    <>
      <PeriodNote from={report.from} to={report.to} />
      <Stats>
        <Stat id="events" label="events" value={formatCount(report.totals.events)} />
        <Stat
          id="active-profiles"
          label="active profiles"
          value={formatCount(report.totals.activeProfiles)}
        />
        <Stat id="orders" label="orders" value={formatCount(report.totals.orders)} />
        <Stat id="revenue" label="revenue" value={money(report.totals.revenue)} />
        <Stat id="net-revenue" label="net of refunds" value={money(report.totals.netRevenue)} />
        <Stat
          id="new-customers"
          label="new customers"
          value={formatCount(report.totals.newCustomers)}
        />
        <Stat
          id="returning-customers"
          label="returning customers"
          value={formatCount(report.totals.returningCustomers)}
        />
      </Stats>
      <div class="grid">
        <Section title="Events per day by type">
          <SeriesChart
            kind="bar"
            stacked
            labels={data.days}
            series={data.events}
            title="events per day"
          />
        </Section>
        <Section title="Active profiles per day">
          <SeriesChart
            kind="line"
            labels={data.days}
            series={data.active}
            title="active profiles per day"
          />
        </Section>
        <Section title="Revenue per day">
          <SeriesChart
            kind="bar"
            labels={data.days}
            series={data.revenue}
            title="revenue and net revenue per day"
          />
        </Section>
        <Section title="New and returning customers per day">
          <SeriesChart
            kind="bar"
            stacked
            labels={data.days}
            series={data.customers}
            title="customers ordering per day"
          />
        </Section>
      </div>
    </>
  );
}

export function OverviewPage(props: { route: Route }) {
  const channel = props.route.params.get('channel') ?? undefined;
  const state = useApi<OverviewReport>(
    `/v1/reports/overview${query({ ...rangeOf(props.route), channel })}`,
  );
  return (
    <>
      <h1>Overview</h1>
      <RangePicker route={props.route} />
      <Loading state={state}>{(report) => <Overview report={report} />}</Loading>
    </>
  );
}
