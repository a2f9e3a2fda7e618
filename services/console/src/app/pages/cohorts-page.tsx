import type { CohortsReport } from '@rapport/schemas';
import { query } from '../api.js';
import { formatCount, formatMoney, formatShare } from '../format.js';
import { RangePicker, rangeOf } from '../range-picker.js';
import { navigate, type Route } from '../router.js';
import { Loading, Section } from '../ui.js';
import { useApi } from '../use-api.js';
import { PeriodNote } from './period-note.js';

/** The retention triangle: one row per cohort, the share ordering in each later period. */
function Cohorts(props: { report: CohortsReport }) {
  const { report } = props;
  const width = Math.max(0, ...report.cohorts.map((c) => c.periods.length));
  if (report.cohorts.length === 0) return <p class="muted">No first order in this period.</p>;
  return (
    <>
      <PeriodNote from={report.from} to={report.to} />
      <Section title={`Cohorts by ${report.granularity} of first order`}>
        <div class="table-wrap" tabIndex={0} aria-label="cohorts">
          <table data-testid="cohorts" class="heat">
            <thead>
              <tr>
                <th scope="col">cohort</th>
                <th scope="col" class="num">
                  customers
                </th>
                <th scope="col" class="num">
                  revenue per customer
                </th>
                {Array.from({ length: width }, (_, offset) => (
                  <th scope="col" class="num">
                    +{offset}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {report.cohorts.map((cohort) => (
                <tr>
                  <th scope="row">{cohort.cohort}</th>
                  <td class="num" data-col="size">
                    {formatCount(cohort.size)}
                  </td>
                  <td class="num" data-col="revenuePerMember">
                    {formatMoney(cohort.revenuePerMember, report.currency)}
                  </td>
                  {cohort.periods.map((period) => (
                    <td
                      class="num"
                      data-col={`period-${period.offset}`}
                      style={{
                        background: `rgba(37, 99, 235, ${period.offset === 0 ? 0 : Math.min(0.4, period.share)})`,
                      }}
                      title={`${formatCount(period.customers)} customers, ${formatMoney(period.revenuePerMember, report.currency)} per member`}
                    >
                      {formatShare(period.share)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </Section>
    </>
  );
}

export function CohortsPage(props: { route: Route }) {
  const granularity = props.route.params.get('granularity') === 'week' ? 'week' : 'month';
  const range = rangeOf(props.route);
  const state = useApi<CohortsReport>(`/v1/reports/cohorts${query({ ...range, granularity })}`);
  const others = Object.fromEntries(props.route.params);
  return (
    <>
      <h1>Cohorts</h1>
      <RangePicker
        route={props.route}
        defaultText="first orders in the 12 months up to the latest event"
      />
      <label class="inline">
        Cohorts by
        <select
          name="granularity"
          value={granularity}
          onChange={(event) =>
            navigate(props.route.path, { ...others, granularity: event.currentTarget.value })
          }
        >
          <option value="month">month</option>
          <option value="week">week</option>
        </select>
      </label>
      <Loading state={state}>{(report) => <Cohorts report={report} />}</Loading>
    </>
  );
}
