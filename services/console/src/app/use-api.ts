import { useEffect, useState } from 'preact/hooks';
import { getJson } from './api.js';

export interface Loaded<T> {
  data: T | null;
  error: string | null;
  loading: boolean;
}

/** GETs `path` (again whenever it changes); null skips. */
export function useApi<T>(path: string | null, reload = 0): Loaded<T> {
  const [state, setState] = useState<Loaded<T>>({
    data: null,
    error: null,
    loading: path !== null,
  });
  useEffect(() => {
    if (path === null) return;
    let live = true;
    setState((previous) => ({ ...previous, loading: true, error: null }));
    getJson<T>(path).then(
      (data) => live && setState({ data, error: null, loading: false }),
      (error: unknown) =>
        live &&
        setState({
          data: null,
          error: error instanceof Error ? error.message : String(error),
          loading: false,
        }),
    );
    return () => {
      live = false;
    };
  }, [path, reload]);
  return state;
}
