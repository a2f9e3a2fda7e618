import { CONSENT_MEANING } from './consent.js';

/** "requires consent: marketing, analytics", or nothing for a segment that requires none. */
export function ConsentBadge(props: { purposes: readonly string[] }) {
  if (props.purposes.length === 0) return null;
  return (
    <span class="badge" data-testid="consent-badge" title={CONSENT_MEANING}>
      requires consent: {props.purposes.join(', ')}
    </span>
  );
}
