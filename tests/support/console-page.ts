import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** Screenshots of the console's pages, kept as test artifacts (not committed). */
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-results', 'console');
const axeSource = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);

/** Saves a screenshot of the page and checks it with axe: no serious or critical violation. */
export async function screenshotAndAxe(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate<{ id: string; impact: string; nodes: number }[]>(
    `axe.run().then((result) =>
      result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length })))`,
  );
  expect(violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')).toEqual([]);
}

/** What page functions touch of the DOM (the tests compile without its library). */
export interface Queryable<T> {
  querySelectorAll(selector: string): Iterable<T>;
}
export interface Cell {
  getAttribute(name: string): string | null;
  innerText: string;
}

/** An explained rule node as the API answers it. */
export type ExplainedNode =
  | { type: 'and' | 'or'; verdict: boolean; rules: ExplainedNode[] }
  | { type: 'not'; verdict: boolean; rule: ExplainedNode }
  | { type: 'field' | 'event' | 'segment'; verdict: boolean; value: unknown };

/** Each node's verdict by its path in the rule (`/rule/rules/0`), as the console names them. */
export function verdicts(node: ExplainedNode, path = '/rule'): Record<string, string> {
  const own = { [path]: String(node.verdict) };
  if (node.type === 'not') return { ...own, ...verdicts(node.rule, `${path}/rule`) };
  if (node.type === 'and' || node.type === 'or') {
    for (const [i, r] of node.rules.entries())
      Object.assign(own, verdicts(r, `${path}/rules/${i}`));
  }
  return own;
}

/** The verdicts the console shows for each node of the explanation on the page. */
export async function shownVerdicts(page: Page): Promise<Record<string, string>> {
  return page
    .getByTestId('explanation')
    .evaluate((box: Queryable<Cell>) =>
      Object.fromEntries(
        [...box.querySelectorAll('[data-path]')].map((node) => [
          node.getAttribute('data-path') ?? '',
          node.getAttribute('data-verdict') ?? '',
        ]),
      ),
    );
}
