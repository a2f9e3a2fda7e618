import type { LifecycleReport } from '@rapport/schemas';
import { query } from '../api.js';
import { SeriesChart } from '../chart.js';
import { formatCount } from '../format.js';
import { RangePicker, rangeOf } from '../range-picker.js';
import type { Route } from '../router.js';
import { Loading, Section, Stat, Stats, Table } from '../ui.js';
import { useApi } from '../use-api.js';
import { PeriodNote } from './period-note.js';

function Lifecycle(props: { report: LifecycleReport }) {
  const { report } = props;
  const stages = report.stages.map((s) => s.stage);
  return (
    <>
      <PeriodNote from={report.from} to={report.to} />
      <Stats>
        {report.stages.map((s) => (
          <Stat id={`stage-${s.stage}`} label={s.stage} value={formatCount(s.end)} />
        ))}
        <Stat
          id="prospects"
          label="prospects active"
          value={formatCount(report.prospects.visitors + report.prospects.leads)}
        />
      </Stats>
      <div class="grid">
        <Section title="Profiles per stage, start and end of the period">
          <SeriesChart
            kind="bar"
            labels={stages}
            series={[
              { label: 'at the start', values: report.stages.map((s) => s.start) },
              { label: 'at the end', values: report.stages.map((s) => s.end) },
            ]}
            title="profiles per lifecycle stage"
          />
        </Section>
        <Section title="Flows between stages">
          <Table
            id="flows"
            columns={[
              { label: 'from', value: (f) => f.from },
              { label: 'to', value: (f) => f.to },
              { label: 'profiles', value: (f) => formatCount(f.profiles), numeric: true },
            ]}
            rows={report.flows.filter((f) => f.from !== f.to)}
            empty="No profile changed stage."
          />
        </Section>
      </div>
      <Section title="Prospects: visitors and leads active in the period, by where they came from">
        <Table
          id="prospect-sources"
          columns={[
            { label: 'channel', value: (s) => s.channel },
            { label: 'source', value: (s) => s.source || '(untagged)' },
            { label: 'medium', value: (s) => s.medium || '—' },
            { label: 'visitors', value: (s) => formatCount(s.visitors), numeric: true },
            { label: 'leads', value: (s) => formatCount(s.leads), numeric: true },
          ]}
          rows={report.prospects.sources}
        />
      </Section>
    </>
  );
}

export function LifecyclePage(props: { route: Route }) {
  const state = useApi<LifecycleReport>(`/v1/reports/lifecycle${query(rangeOf(props.route))}`);
  return (
    <>
      <h1>Lifecycle</h1>
      <RangePicker route={props.route} />
      <Loading state={state}>{(report) => <Lifecycle report={report} />}</Loading>
    </>
  );
}
