/**
 * Waits until the engine at `origin` serves profile reads from its local copy of the rows
 * (`rapport_profile_rows_mirrored` above 0 on /metrics). An engine that finds the copy
 * untrusted — the benchmark opened the store itself, or the last engine stopped before the copy
 * was whole — rebuilds it after it is ready (about two minutes at a million people, on both
 * cores), and whatever is timed meanwhile measures that rebuild too. Returns the seconds waited.
 */
export async function profileRowsMirrored(
  origin: string,
  options: { timeoutMs?: number; log?: (message: string) => void } = {},
): Promise<number> {
  const started = performance.now();
  const deadline = started + (options.timeoutMs ?? 15 * 60_000);
  let logged = false;
  for (;;) {
    const metrics = await (await fetch(`${origin}/metrics`)).text();
    const mirrored = /^rapport_profile_rows_mirrored (\d+)/m.exec(metrics);
    if (mirrored === null) throw new Error('the engine has no rapport_profile_rows_mirrored');
    if (Number(mirrored[1]) > 0) return (performance.now() - started) / 1000;
    if (performance.now() > deadline) {
      throw new Error('the engine did not copy its profile rows in time');
    }
    if (!logged) options.log?.('waiting for the engine to copy its profile rows…');
    logged = true;
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
