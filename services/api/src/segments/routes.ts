import {
  createSegmentSchema,
  errorResponseSchema,
  fieldCatalogueSchema,
  historyQuerySchema,
  historySchema,
  membersPageSchema,
  membersQuerySchema,
  previewRequestSchema,
  previewResponseSchema,
  segmentListSchema,
  segmentQuerySchema,
  segmentSchema,
  updateSegmentSchema,
  isoOf,
} from '@rapport/schemas';
import { HttpError, type QueryGate } from '@rapport/http';
import {
  FIELD_CATALOGUE,
  readLatestEvaluations,
  readNewestDefinitions,
  StatementLimits,
} from '@rapport/segments';
import type { Store } from '@rapport/store';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { LatestRuns } from '@rapport/runs';
import { prefersCsv } from './accepts-csv.js';
import { historyRange, readHistory } from './history.js';
import { exportFields, membersCsv } from './members-csv.js';
import { snapshotExists } from './members-query.js';
import { latestEvaluation, readMembersPage, type MembersPage } from './members.js';
import { liveSegmentRoutes } from './live-routes.js';
import { previewRule } from './preview.js';
import {
  checkReferences,
  checkStatement,
  membershipRuleOrRefuse,
  parseRuleOrRefuse,
} from './rule-checks.js';
import { SegmentRegistry } from './segment-registry.js';

export interface SegmentRoutesOptions {
  store: Store;
  latest: LatestRuns;
  /** An identified customer silent for this many days is lapsed (live previews). */
  lapsedAfterDays: number;
  /** Told after a definition was saved or deleted, e.g. so profiles show the new name. */
  onDefinitionsChanged?: () => void;
  now?: () => number;
  /** Previews take a turn among the heavy queries (see QueryGate). */
  heavyQueries?: QueryGate | undefined;
}

const params = z.object({ id: z.string().min(1).max(64) });
const errors = {
  400: errorResponseSchema,
  404: errorResponseSchema,
  409: errorResponseSchema,
};

/** Segments: definitions with versions, previews, members (JSON pages or CSV) and history. */
export const segmentRoutes: FastifyPluginAsyncZod<SegmentRoutesOptions> = async (app, options) => {
  const { store, latest } = options;
  const now = options.now ?? Date.now;
  const limits = new StatementLimits(store);
  const registry = new SegmentRegistry({ store, limits, now });
  const changed = <T>(result: T): T => {
    options.onDefinitionsChanged?.();
    return result;
  };
  await app.register(liveSegmentRoutes, {
    store,
    latest,
    lapsedAfterDays: options.lapsedAfterDays,
    now,
  });

  app.get(
    '/v1/segments',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'Every current segment with its latest evaluation',
        response: { 200: segmentListSchema },
      },
    },
    async () => ({ segments: await registry.list() }),
  );

  app.post(
    '/v1/segments',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['segments'],
        summary: 'Define a segment',
        description:
          'The rule is checked against the field catalogue, and its compiled query against ' +
          "the store's limits (max_query_size, 256 KiB of values); a 400 lists every problem " +
          'with the JSON Pointer of the node at fault. The segments job evaluates it on its ' +
          'next run. Ids are never reused, not even those of deleted segments.',
        body: createSegmentSchema,
        response: { 201: segmentSchema, ...errors },
      },
    },
    async (request, reply) => {
      const segment = changed(await registry.create(request.body));
      return reply.code(201).send(segment);
    },
  );

  app.get(
    '/v1/segments/fields',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'The profile fields a rule can test, with their operators',
        response: { 200: fieldCatalogueSchema },
      },
    },
    async () => ({
      fields: FIELD_CATALOGUE.map((field) => ({
        name: field.name,
        type: field.type,
        description: field.description,
        operators: [...field.operators],
        ...(field.values === undefined ? {} : { values: [...field.values] }),
        nullable: field.nullable,
      })),
    }),
  );

  app.post(
    '/v1/segments/preview',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'How many profiles a rule matches, with a sample',
        description:
          'Tested on the profile fields of the latest segments run when they are stored ' +
          '(`source: snapshot`), else on fields computed for this answer (`live`, slower). ' +
          'Stops after 60 s.',
        body: previewRequestSchema,
        response: {
          200: previewResponseSchema,
          400: errorResponseSchema,
          503: errorResponseSchema,
        },
      },
    },
    async (request) => {
      const rule = parseRuleOrRefuse(request.body.rule);
      const membership = membershipRuleOrRefuse(rule, request.body.requiresConsent);
      await checkStatement(membership, limits);
      checkReferences({ rule, definitions: await readNewestDefinitions(store) });
      return previewRule({
        store,
        latest,
        rule: membership,
        sample: request.body.sample,
        lapsedAfterDays: options.lapsedAfterDays,
        now: now(),
        gate: options.heavyQueries,
      });
    },
  );

  app.get(
    '/v1/segments/:id',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'A segment as it stands, or an earlier version of it',
        params,
        querystring: segmentQuerySchema,
        response: { 200: segmentSchema, 404: errorResponseSchema },
      },
    },
    async (request) => registry.get(request.params.id, request.query.version),
  );

  app.put(
    '/v1/segments/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['segments'],
        summary: 'Change a segment: saves its next version',
        description:
          'Send `expectedVersion` to refuse (409) a change made on a version someone else ' +
          'has replaced since.',
        params,
        body: updateSegmentSchema,
        response: { 200: segmentSchema, ...errors },
      },
    },
    async (request) => changed(await registry.update(request.params.id, request.body)),
  );

  app.delete(
    '/v1/segments/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['segments'],
        summary: 'Delete a segment',
        description:
          'Saves a version marked deleted; the next segments run closes its memberships ' +
          '(publishing the exits). Refused (409) while other segments refer to it.',
        params,
        response: {
          204: z.null().describe('deleted'),
          404: errorResponseSchema,
          409: errorResponseSchema,
        },
      },
    },
    async (request, reply) => {
      changed(await registry.remove(request.params.id));
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/v1/segments/:id/members',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'Members of the latest evaluation, by profile key; CSV with Accept: text/csv',
        description:
          'JSON pages of `limit` members; pass `next` as `cursor` for the following page. A ' +
          'cursor keeps reading the run it started on while that is one of the latest two ' +
          'evaluations of the segment (through the next segments run); after that, 410. With `Accept: text/csv` every member is streamed as `customer_id,anonymous_id,' +
          'since` (`limit` and `cursor` do not apply), plus a column for each profile field ' +
          'named in `fields`, with the value the evaluation saw. 409 before the first evaluation.',
        params,
        querystring: membersQuerySchema,
        response: { 200: membersPageSchema, ...errors, 410: errorResponseSchema },
      },
    },
    async (request, reply) => {
      const segmentId = request.params.id;
      await registry.live(segmentId);
      if (!prefersCsv(request.headers.accept)) {
        return readMembersPage(store, { segmentId, ...request.query });
      }
      const evaluation = await latestEvaluation(store, segmentId);
      const fields = exportFields(request.query.fields);
      if (fields.length > 0 && !(await snapshotExists(store, evaluation.runId))) {
        throw new HttpError(
          409,
          `the profile fields of run ${evaluation.runId} are no longer stored; export without ` +
            '`fields`, or after the next segments run',
        );
      }
      const csv = membersCsv({ store, segmentId, evaluation, fields });
      return (
        reply
          .header('content-type', 'text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="segment-${segmentId}.csv"`)
          .header('x-rapport-run-id', evaluation.runId)
          .header('x-rapport-computed-at', isoOf(evaluation.evaluatedAt))
          // A stream skips the response serializer: the page schema does not apply to it.
          .send(csv as unknown as MembersPage)
      );
    },
  );

  app.get(
    '/v1/segments/:id/history',
    {
      config: { scope: 'read' },
      schema: {
        tags: ['segments'],
        summary: 'Per UTC day: entries, exits and members at the end of the day',
        params,
        querystring: historyQuerySchema,
        response: { 200: historySchema, 400: errorResponseSchema, 404: errorResponseSchema },
      },
    },
    async (request) => {
      const segmentId = request.params.id;
      const range = historyRange({ ...request.query, now: now() });
      const [, evaluations, days] = await Promise.all([
        registry.live(segmentId),
        readLatestEvaluations(store, [segmentId]),
        readHistory(store, { segmentId, ...range }),
      ]);
      const evaluation = evaluations.get(segmentId);
      return {
        segmentId,
        computedAt: evaluation ? isoOf(evaluation.evaluatedAt) : null,
        days,
      };
    },
  );
};
