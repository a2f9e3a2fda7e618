export interface MinimizeResult {
  x: number[];
  fx: number;
  iterations: number;
  converged: boolean;
}

export interface NelderMeadOptions {
  /** Default 400 per dimension. */
  maxIterations?: number;
  /** Stop when the simplex's function values span less than this (default 1e-9, absolute). */
  tolerance?: number;
  /** Size of the initial simplex's steps along each axis (default 0.5). */
  step?: number;
}

/**
 * Downhill-simplex minimisation (Nelder & Mead, 1965) with the standard coefficients
 * (reflection 1, expansion 2, contraction ½, shrink ½). A non-finite value counts as +∞, so
 * the objective may refuse points outside its domain.
 */
export function nelderMead(
  f: (x: number[]) => number,
  x0: readonly number[],
  options: NelderMeadOptions = {},
): MinimizeResult {
  const n = x0.length;
  const maxIterations = options.maxIterations ?? 400 * n;
  const tolerance = options.tolerance ?? 1e-9;
  const step = options.step ?? 0.5;
  const value = (x: number[]) => {
    const fx = f(x);
    return Number.isFinite(fx) ? fx : Infinity;
  };
  let simplex = [{ x: [...x0], fx: value([...x0]) }];
  for (let i = 0; i < n; i++) {
    const x = [...x0];
    x[i] = (x[i] ?? 0) + step;
    simplex.push({ x, fx: value(x) });
  }
  const at = (i: number) => simplex[i] as { x: number[]; fx: number };
  const combine = (a: number[], b: number[], t: number) =>
    a.map((ai, i) => ai + t * (ai - (b[i] ?? 0)));
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    simplex.sort((p, q) => p.fx - q.fx);
    const best = at(0);
    const worst = at(n);
    if (Math.abs(worst.fx - best.fx) <= tolerance && Number.isFinite(worst.fx)) {
      return { x: best.x, fx: best.fx, iterations, converged: true };
    }
    const centroid = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) centroid[j] = (centroid[j] ?? 0) + (at(i).x[j] ?? 0) / n;
    }
    const reflected = combine(centroid, worst.x, 1);
    const fr = value(reflected);
    if (fr < best.fx) {
      const expanded = combine(centroid, worst.x, 2);
      const fe = value(expanded);
      simplex[n] = fe < fr ? { x: expanded, fx: fe } : { x: reflected, fx: fr };
      continue;
    }
    if (fr < at(n - 1).fx) {
      simplex[n] = { x: reflected, fx: fr };
      continue;
    }
    const contracted =
      fr < worst.fx ? combine(centroid, worst.x, 0.5) : combine(centroid, worst.x, -0.5);
    const fc = value(contracted);
    if (fc < Math.min(fr, worst.fx)) {
      simplex[n] = { x: contracted, fx: fc };
      continue;
    }
    simplex = simplex.map((point, i) => {
      if (i === 0) return point;
      const x = point.x.map((xi, j) => (best.x[j] ?? 0) + 0.5 * (xi - (best.x[j] ?? 0)));
      return { x, fx: value(x) };
    });
  }
  simplex.sort((p, q) => p.fx - q.fx);
  return { x: at(0).x, fx: at(0).fx, iterations, converged: false };
}
