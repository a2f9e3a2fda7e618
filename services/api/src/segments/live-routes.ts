import { HttpError } from '@rapport/http';
import { lapsedMs, profileKey } from '@rapport/profiles';
import type { LatestRuns } from '@rapport/runs';
import { errorResponseSchema, isoOf } from '@rapport/schemas';
import {
  explainRule,
  liveSegments,
  memberSegments,
  membershipRule,
  parseRule,
  profileMatches,
  readNewestDefinition,
  type ExplainedNode,
} from '@rapport/segments';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';

export interface LiveSegmentRoutesOptions {
  store: Store;
  latest: LatestRuns;
  lapsedAfterDays: number;
  now?: () => number;
}

const customerId = z.string().min(1).max(256);

const liveSchema = z.object({
  customerId: z.string(),
  live: z.boolean().describe('true: evaluated now; false: current membership'),
  evaluatedAt: z.string(),
  segments: z.array(
    z.object({ id: z.string(), name: z.string(), version: z.number().int(), member: z.boolean() }),
  ),
});

const explainedNodeSchema: z.ZodType<ExplainedNode> = z.lazy(() =>
  z.union([
    z.object({
      type: z.enum(['and', 'or']),
      verdict: z.boolean(),
      rules: z.array(explainedNodeSchema),
    }),
    z.object({ type: z.literal('not'), verdict: z.boolean(), rule: explainedNodeSchema }),
    z.object({
      type: z.enum(['field', 'event', 'segment']),
      verdict: z.boolean(),
      condition: z.any(),
      value: z.unknown(),
    }),
  ]),
);

const explainSchema = z.object({
  segmentId: z.string(),
  version: z.number().int(),
  customerId: z.string(),
  evaluatedAt: z.string(),
  matches: z.boolean().describe('whether the profile matches the rule now'),
  member: z.boolean().describe('whether the profile is in the segment (current membership)'),
  requiresConsent: z
    .array(z.string())
    .describe(
      'consent purposes this version requires: the last conditions of the rule explained, one per purpose',
    ),
  rule: explainedNodeSchema,
});

const errors = { 400: errorResponseSchema, 404: errorResponseSchema };

/**
 * Reading one profile's segments: evaluated on the spot (`?live=true`), and why a profile is
 * or is not in a segment (explain). Both run the compiled rule the segments job runs,
 * restricted to the one profile.
 */
export const liveSegmentRoutes: FastifyPluginAsyncZod<LiveSegmentRoutesOptions> = async (
  app,
  options,
) => {
  const { store, latest } = options;
  const now = options.now ?? Date.now;

  const profileParams = async () => ({
    lapsedMs: lapsedMs(options.lapsedAfterDays),
    rfmRun: await latest.idOf('rfm'),
    clvRun: await latest.idOf('clv'),
    clustersRun: await latest.idOf('clusters'),
  });

  /** The profile key of a customer who has any event, or a 404. */
  const customerKey = async (id: string) => {
    const key = profileKey({ customerId: id });
    const [row] = await store.query<{ n: number }>(
      'SELECT count() AS n FROM customer_stats WHERE customer_key = {key:String}',
      { key },
    );
    if (Number(row?.n ?? 0) === 0) throw new HttpError(404, `no customer with id "${id}"`);
    return key;
  };

  const openSegments = async (key: string) =>
    new Set(
      (
        await store.query<{ segment_id: string }>(
          `SELECT DISTINCT segment_id FROM segment_membership FINAL
           WHERE profile_key = {key:String} AND exited_at IS NULL`,
          { key },
        )
      ).map((row) => row.segment_id),
    );

  app.get(
    '/v1/customers/:id/segments',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: "A customer's segments: current membership, or evaluated now with live=true",
        description:
          'live=true evaluates every segment for this one customer on the spot (for a ' +
          'personalization call that cannot wait for the event to be evaluated) and writes ' +
          'nothing; without it, the membership streaming evaluation keeps.',
        params: z.object({ id: customerId }),
        querystring: z.object({ live: z.enum(['true', 'false']).default('false') }),
        response: { 200: liveSchema, ...errors },
      },
    },
    async (request) => {
      const key = await customerKey(request.params.id);
      const at = now();
      const live = request.query.live === 'true';
      // Current membership is read, not evaluated.
      const segments = live
        ? (
            await liveSegments({ store, profileKey: key, at, profile: await profileParams() })
          ).filter((verdict) => verdict.member)
        : await memberSegments({ store, profileKey: key });
      return { customerId: request.params.id, live, evaluatedAt: isoOf(at), segments };
    },
  );

  app.get(
    '/v1/segments/:id/explain/:customerId',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'Why a customer is or is not in a segment: the rule tree, evaluated for them',
        description:
          "Each node with its verdict; each condition with the value it tested (the field's " +
          'value, the number of matching events in the window, membership of the segment ' +
          'referred to). A segment that requires consent shows a `traits.consent_<purpose>` ' +
          'condition per purpose, ANDed to its rule.',
        params: z.object({ id: z.string().min(1).max(64), customerId }),
        response: { 200: explainSchema, ...errors },
      },
    },
    async (request) => {
      const definition = await readNewestDefinition(store, request.params.id);
      if (!definition || definition.deleted) {
        throw new HttpError(404, `no segment with id "${request.params.id}"`);
      }
      const parsed = parseRule(JSON.parse(definition.rule) as unknown);
      if (!parsed.ok) throw new HttpError(400, 'the stored rule of this segment is invalid');
      // The rule membership follows: with a condition per consent purpose it requires.
      const rule = membershipRule(parsed.rule, definition.requiresConsent);
      const key = await customerKey(request.params.customerId);
      const at = now();
      const input = { store, profileKey: key, at, profile: await profileParams() };
      const [explained, matches, open] = await Promise.all([
        explainRule({ ...input, rule }),
        profileMatches({ ...input, rule }),
        openSegments(key),
      ]);
      return {
        segmentId: definition.id,
        version: definition.version,
        customerId: request.params.customerId,
        evaluatedAt: isoOf(at),
        matches,
        member: open.has(definition.id),
        requiresConsent: [...(definition.requiresConsent ?? [])],
        rule: explained,
      };
    },
  );
};
