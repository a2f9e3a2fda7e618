import type { Metrics } from '@rapport/observability';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';

/** A readiness probe: resolves when ready, rejects with the reason when not. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<void>;
  /**
   * false: a failure is shown (its reason in `checks`) but leaves the process ready, for a
   * part whose trouble must be seen without taking the process out of service. Default true.
   */
  critical?: boolean;
}

const readinessSchema = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.record(z.string(), z.string()),
});

export function registerOpsRoutes(
  app: FastifyInstance,
  options: { metrics: Metrics; readiness: readonly ReadinessCheck[] },
): void {
  const typed = app.withTypeProvider<ZodTypeProvider>();

  typed.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Liveness: the process is up',
        response: { 200: z.object({ status: z.literal('ok') }) },
      },
    },
    () => ({ status: 'ok' as const }),
  );

  typed.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        tags: ['operations'],
        summary: 'Readiness: every dependency answers and the schema is current',
        response: { 200: readinessSchema, 503: readinessSchema },
      },
    },
    async (_request, reply) => {
      const results = await Promise.all(
        options.readiness.map(async ({ name, check, critical = true }) => {
          try {
            await check();
            return [name, 'ok', critical] as const;
          } catch (error) {
            const reason = error instanceof Error ? error.message : String(error);
            return [name, reason, critical] as const;
          }
        }),
      );
      const ready = results.every(([, outcome, critical]) => outcome === 'ok' || !critical);
      return reply.status(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not_ready',
        checks: Object.fromEntries(results.map(([name, outcome]) => [name, outcome])),
      });
    },
  );

  app.get(
    '/metrics',
    {
      config: { scope: 'admin' },
      schema: { tags: ['operations'], summary: 'Prometheus metrics (text exposition format)' },
    },
    async (_request, reply) => {
      const body = await options.metrics.registry.metrics();
      return reply.type(options.metrics.registry.contentType).send(body);
    },
  );
}
