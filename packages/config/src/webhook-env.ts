import { z } from 'zod';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/** Longest pause between two attempts of a webhook batch: the backoff doubles up to this. */
export const WEBHOOK_MAX_BACKOFF_MS = 5 * 60 * 1000;

/**
 * `https://a.example/hook,https://b.example/hook`. Errors show only the start of a bad entry:
 * webhook URLs often carry a token in their path.
 */
const urlList = z
  .string()
  .default('')
  .transform((raw, ctx): string[] => {
    const urls: string[] = [];
    for (const entry of raw.split(',').map((part) => part.trim())) {
      if (entry === '') continue;
      const url = URL.canParse(entry) ? new URL(entry) : undefined;
      if ((url?.protocol !== 'http:' && url?.protocol !== 'https:') || url.hostname === '') {
        ctx.addIssue({
          code: 'custom',
          message: `entry "${entry.slice(0, 8)}…" must be an http:// or https:// URL`,
        });
      } else {
        urls.push(entry);
      }
    }
    return urls;
  });

/** Segment change notifications by signed webhooks; off while RAPPORT_WEBHOOK_URLS is empty. */
export const webhookEnvShape = {
  /** Receivers of segment changes, http(s) URLs separated by commas; empty (the default) sends none. */
  RAPPORT_WEBHOOK_URLS: urlList,
  /** Shared secret the requests are signed with (Rapport-Signature); required with URLs, 16+ characters. */
  RAPPORT_WEBHOOK_SECRET: z.preprocess(
    (value) => (value === '' ? undefined : value),
    z.string().min(16, 'must be at least 16 characters').optional(),
  ),
  /** Attempts per batch, the first included, before it is given up and logged (default 8). */
  RAPPORT_WEBHOOK_MAX_ATTEMPTS: int(1, 100).default(8),
  /** Pause before the first retry in ms, doubling (with full jitter) up to 5 minutes (default 1000). */
  RAPPORT_WEBHOOK_BACKOFF_MS: int(1, WEBHOOK_MAX_BACKOFF_MS).default(1000),
  /** An attempt without an answer within this many ms is retried (default 10000). */
  RAPPORT_WEBHOOK_TIMEOUT_MS: int(100, 300_000).default(10_000),
  /** Changes per POST at most (default 500). */
  RAPPORT_WEBHOOK_BATCH_SIZE: int(1, 10_000).default(500),
} as const;

/** The webhooks section of the configuration, present when RAPPORT_WEBHOOK_URLS lists any. */
export interface WebhookConfig {
  readonly urls: readonly string[];
  readonly secret: string;
  readonly maxAttempts: number;
  /** Backoff before a retry: doubles from `initial` up to `max`. */
  readonly backoffMs: { readonly initial: number; readonly max: number };
  readonly timeoutMs: number;
  readonly batchSize: number;
}

interface WebhookEnv {
  RAPPORT_WEBHOOK_URLS: string[];
  RAPPORT_WEBHOOK_SECRET?: string | undefined;
  RAPPORT_WEBHOOK_MAX_ATTEMPTS: number;
  RAPPORT_WEBHOOK_BACKOFF_MS: number;
  RAPPORT_WEBHOOK_TIMEOUT_MS: number;
  RAPPORT_WEBHOOK_BATCH_SIZE: number;
}

/** Checks that need more than one variable; each problem names the variable to set. */
export function webhookProblems(e: WebhookEnv): string[] {
  if (e.RAPPORT_WEBHOOK_URLS.length > 0 && e.RAPPORT_WEBHOOK_SECRET === undefined) {
    return [
      'RAPPORT_WEBHOOK_SECRET: webhooks are signed; set a secret of at least 16 characters with RAPPORT_WEBHOOK_URLS',
    ];
  }
  return [];
}

export function webhookConfigOf(e: WebhookEnv): WebhookConfig | undefined {
  if (e.RAPPORT_WEBHOOK_URLS.length === 0 || e.RAPPORT_WEBHOOK_SECRET === undefined) {
    return undefined;
  }
  return {
    urls: e.RAPPORT_WEBHOOK_URLS,
    secret: e.RAPPORT_WEBHOOK_SECRET,
    maxAttempts: e.RAPPORT_WEBHOOK_MAX_ATTEMPTS,
    backoffMs: { initial: e.RAPPORT_WEBHOOK_BACKOFF_MS, max: WEBHOOK_MAX_BACKOFF_MS },
    timeoutMs: e.RAPPORT_WEBHOOK_TIMEOUT_MS,
    batchSize: e.RAPPORT_WEBHOOK_BATCH_SIZE,
  };
}
