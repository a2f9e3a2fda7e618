import { navigate, type Route } from './router.js';

/** The period of a report page, kept in the address so a link shows the same figures. */
export function rangeOf(route: Route) {
  return {
    from: route.params.get('from') ?? undefined,
    to: route.params.get('to') ?? undefined,
  };
}

/** Native date inputs for `from` (included) and `to` (excluded); empty means the default. */
export function RangePicker(props: {
  route: Route;
  extra?: Record<string, string | undefined>;
  /** What the report covers when no date is picked. */
  defaultText?: string;
}) {
  const { from, to } = rangeOf(props.route);
  const others = Object.fromEntries(props.route.params);
  const set = (name: 'from' | 'to', value: string) =>
    navigate(props.route.path, { ...others, ...props.extra, [name]: value || undefined });
  return (
    <form class="range" onSubmit={(event) => event.preventDefault()}>
      <label>
        From
        <input
          type="date"
          name="from"
          value={from ?? ''}
          onChange={(event) => set('from', event.currentTarget.value)}
        />
      </label>
      <label>
        To (excluded)
        <input
          type="date"
          name="to"
          value={to ?? ''}
          onChange={(event) => set('to', event.currentTarget.value)}
        />
      </label>
      {from || to ? (
        <button type="button" onClick={() => navigate(props.route.path, {})}>
          Default period
        </button>
      ) : (
        <span class="muted">{props.defaultText ?? 'the 30 days up to the latest event'}</span>
      )}
    </form>
  );
}
