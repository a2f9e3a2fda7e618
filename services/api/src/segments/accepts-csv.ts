interface MediaRange {
  type: string;
  subtype: string;
  q: number;
}

function parseAccept(header: string): MediaRange[] {
  return header.split(',').flatMap((part) => {
    const [range = '', ...parameters] = part.trim().split(';');
    const [type, subtype] = range.trim().toLowerCase().split('/');
    if (!type || !subtype) return [];
    const qParameter = parameters
      .map((p) => p.trim().toLowerCase())
      .find((p) => p.startsWith('q='));
    const q = qParameter === undefined ? 1 : Number(qParameter.slice(2));
    return [{ type, subtype, q: Number.isFinite(q) ? q : 0 }];
  });
}

/** The quality the client gives a media type, and how specific the range that gave it was. */
function qualityOf(ranges: readonly MediaRange[], type: string, subtype: string) {
  let best = { q: 0, specificity: -1 };
  for (const range of ranges) {
    const specificity =
      range.type === type && range.subtype === subtype
        ? 2
        : range.type === type && range.subtype === '*'
          ? 1
          : range.type === '*' && range.subtype === '*'
            ? 0
            : -1;
    if (specificity > best.specificity) best = { q: range.q, specificity };
  }
  return best;
}

/**
 * Whether the Accept header prefers `text/csv` to `application/json`: a higher quality, or the
 * same quality from a more specific range (`text/csv, *\/*` asks for CSV). JSON otherwise.
 */
export function prefersCsv(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const csv = qualityOf(ranges, 'text', 'csv');
  const json = qualityOf(ranges, 'application', 'json');
  if (csv.q <= 0) return false;
  return csv.q > json.q || (csv.q === json.q && csv.specificity > json.specificity);
}
