/** The period a report covers, as the API answered it (`to` excluded). */
export function PeriodNote(props: { from: string; to: string }) {
  const day = (iso: string) => iso.slice(0, 10);
  const last = new Date(Date.parse(props.to) - 1).toISOString();
  return (
    <p class="period" data-testid="period">
      {day(props.from)} to {day(last)} (UTC)
    </p>
  );
}
