import { FitError, type BgNbdFit, type GammaGammaFit } from '@rapport/analytics';
import { JobFailedError } from '../job.js';
import { describeFit } from './clv-holdout.js';

/**
 * A clv run that failed, with what it had found by then: the phase, the reason, the fits
 * made so far and, where the data caused it, the histories (x, t_x, T) at fault. The run
 * record keeps `summary`; the message says the same in words.
 */
export class ClvRunError extends JobFailedError {
  override readonly name = 'ClvRunError';
}

/** What a run knows as it goes, for the record of a run that fails. */
export interface ClvKnown {
  bgNbd?: BgNbdFit;
  gammaGamma?: GammaGammaFit;
  /** The fit's histories, to name those behind a fit that has no maximum. */
  histories?: readonly { x: number; tx: number; T: number; weight: number }[];
  [key: string]: unknown;
}

const round = (value: number) => Number(value.toPrecision(6));

function fitsInWords(known: ClvKnown): string {
  const parts: string[] = [];
  if (known.bgNbd) {
    const { params, logLikelihood, iterations } = known.bgNbd;
    parts.push(
      `purchase model r = ${round(params.r)}, α = ${round(params.alpha)}, a = ${round(params.a)}, b = ${round(params.b)} (log-likelihood ${round(logLikelihood)}, ${iterations} iterations)`,
    );
  }
  if (known.gammaGamma) {
    const { params, logLikelihood, iterations } = known.gammaGamma;
    parts.push(
      `spend model p = ${round(params.p)}, q = ${round(params.q)}, γ = ${round(params.gamma)} (log-likelihood ${round(logLikelihood)}, ${iterations} iterations)`,
    );
  }
  return parts.length > 0 ? ` Fitted: ${parts.join('; ')}.` : '';
}

/** The failure of `phase` as a ClvRunError carrying what the run knew. */
export function clvFailure(input: { phase: string; error: unknown; known: ClvKnown }) {
  const { phase, error, known } = input;
  const reason = error instanceof Error ? error.message : String(error);
  const bgNbd = error instanceof FitError ? error.fit : known.bgNbd;
  const atFault =
    error instanceof FitError
      ? (known.histories ?? [])
          .filter((row) => row.x > 0 && row.tx === 0)
          .sort((p, q) => q.weight - p.weight)
          .slice(0, 20)
          .map(({ x, tx, T, weight }) => ({ x, tx, T, customers: weight }))
      : [];
  const { histories: _histories, bgNbd: _bgNbd, gammaGamma, ...rest } = known;
  const summary = {
    ...rest,
    failure: { phase, reason, ...(atFault.length > 0 ? { histories: atFault } : {}) },
    ...(bgNbd ? { bgNbd: describeFit(bgNbd) } : {}),
    ...(gammaGamma
      ? {
          gammaGamma: {
            params: gammaGamma.params,
            logLikelihood: gammaGamma.logLikelihood,
            customers: gammaGamma.customers,
            iterations: gammaGamma.iterations,
            converged: gammaGamma.converged,
          },
        }
      : {}),
  };
  const where =
    atFault[0] !== undefined
      ? ` Histories at fault, e.g. x = ${atFault[0].x}, t_x = ${atFault[0].tx}, T = ${atFault[0].T} (${atFault[0].customers} customers).`
      : '';
  return new ClvRunError(
    `${phase} phase: ${reason}.${where}${fitsInWords({ ...known, bgNbd })}`,
    summary,
  );
}
