import type { ComponentChildren } from 'preact';
import type { Loaded } from './use-api.js';

/** A headline number, labelled; `id` names it for tests and for the reader's tools. */
export function Stat(props: { label: string; value: string; id: string }) {
  return (
    <div class="stat">
      <div class="stat-value" data-testid={props.id}>
        {props.value}
      </div>
      <div class="stat-label">{props.label}</div>
    </div>
  );
}

export function Stats(props: { children: ComponentChildren }) {
  return <div class="stats">{props.children}</div>;
}

/** Shows the page once its data are in, or says what is wrong. */
export function Loading<T>(props: { state: Loaded<T>; children: (data: T) => ComponentChildren }) {
  const { state } = props;
  if (state.error)
    return (
      <p class="error" role="alert">
        {state.error}
      </p>
    );
  if (state.data === null) return <p class="muted">Loading…</p>;
  return <>{props.children(state.data)}</>;
}

export interface Column<T> {
  label: string;
  value: (row: T) => ComponentChildren;
  numeric?: boolean;
  key?: string;
}

/** A table of rows; each cell carries `data-col` so a row's figures can be read back. */
export function Table<T>(props: {
  columns: Column<T>[];
  rows: T[];
  id: string;
  caption?: string;
  empty?: string;
}) {
  if (props.rows.length === 0)
    return <p class="muted">{props.empty ?? 'Nothing in this period.'}</p>;
  return (
    <div class="table-wrap" tabIndex={0} aria-label={props.caption ?? props.id}>
      <table data-testid={props.id}>
        {props.caption ? <caption>{props.caption}</caption> : null}
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th scope="col" class={column.numeric ? 'num' : ''}>
                {column.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {props.columns.map((column) => (
                <td class={column.numeric ? 'num' : ''} data-col={column.key ?? column.label}>
                  {column.value(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Section(props: { title: string; children: ComponentChildren }) {
  return (
    <section class="card">
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}
