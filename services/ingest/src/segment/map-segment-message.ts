import { createHash } from 'node:crypto';
import { reject, ok, type StepResult } from '../steps/step-result.js';
import { mapSpecEvent } from './spec-events.js';

/**
 * One Segment message (track, identify, page, screen, alias, group) as a raw event in
 * Rapport's contract. Pure: validation, clock-skew correction and money conversion are left
 * to the native steps, which the event goes through next; `fieldOf` names a field of the
 * result by the Segment field it came from, for their rejections.
 */

export const SEGMENT_CALLS = ['track', 'identify', 'page', 'screen', 'alias', 'group'] as const;
export type SegmentCall = (typeof SEGMENT_CALLS)[number];

export interface SegmentMapOptions {
  /** Server clock at receipt, epoch ms: the time of a message that carries none. */
  receivedAt: number;
  /** The batch's `sentAt`, for messages that carry none of their own. */
  batchSentAt?: unknown;
  /** The batch's `context`, under each message's own. */
  batchContext?: unknown;
  /** The call a single-message route implies; batch messages name theirs in `type`. */
  call?: SegmentCall;
  /** Currency of an order that names none. */
  reportingCurrency: string;
}

export interface MappedMessage {
  event: Record<string, unknown>;
  fieldOf: (path: string) => string;
}

type Json = Record<string, unknown>;
type Renames = ReadonlyArray<readonly [string, string]>;

/** Top-level fields the mapping reads; any others are kept in `context.segment`. */
const READ = new Set([
  'type',
  'messageId',
  'userId',
  'anonymousId',
  'previousId',
  'groupId',
  'timestamp',
  'originalTimestamp',
  'sentAt',
  'receivedAt',
  'context',
  'properties',
  'traits',
  'event',
  'name',
  'category',
  'channel',
  // A credential: analytics.js repeats the write key in every message. Never stored.
  'writeKey',
]);

const SEGMENT_CHANNELS: Readonly<Record<string, string>> = { browser: 'web', mobile: 'mobile' };

/**
 * Where a message came from when it does not say: Segment's `channel`, else the library that
 * sent it (analytics.js is a web page, the iOS, Android and React Native ones an app). Email
 * events keep their own channel; anything else keeps the Rapport type's default.
 */
function channelOf(message: Json, type: string): string | undefined {
  if (type === 'email') return undefined;
  const named = SEGMENT_CHANNELS[String(message.channel)];
  if (named !== undefined) return named;
  const library =
    isObject(message.context) && isObject(message.context.library)
      ? String(message.context.library.name)
      : '';
  if (/^analytics(\.js|-next)/i.test(library)) return 'web';
  if (/ios|android|swift|kotlin|react-native|flutter/i.test(library)) return 'mobile';
  return undefined;
}

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** An id as text; null, which analytics.js sends for a user it does not know yet, is none. */
const idText = (value: unknown) =>
  value === null ? undefined : typeof value === 'number' ? String(value) : value;

/** messageId is the idempotency key; one longer than an eventId is hashed, so it still is. */
function eventIdOf(messageId: unknown): unknown {
  const id = idText(messageId);
  if (typeof id !== 'string' || id.length <= 64) return id;
  return `m-${createHash('sha256').update(id).digest('hex').slice(0, 40)}`;
}

const within = (path: string, prefix: string) =>
  path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);

/** Renames a Rapport field path to its Segment path by the longest matching prefix. */
function fieldNamer(renames: Renames) {
  const ordered = [...renames].sort(([a], [b]) => b.length - a.length);
  return (path: string) => {
    const match = ordered.find(([from]) => within(path, from));
    return match ? match[1] + path.slice(match[0].length) : path;
  };
}

function segmentFacts(message: Json, call: SegmentCall): Json {
  const kept = Object.fromEntries(Object.entries(message).filter(([key]) => !READ.has(key)));
  return {
    type: call,
    ...(message.event === undefined ? {} : { event: message.event }),
    ...(message.name === undefined ? {} : { name: message.name }),
    ...(message.category === undefined ? {} : { category: message.category }),
    ...(message.channel === undefined ? {} : { channel: message.channel }),
    ...kept,
  };
}

function contextOf(message: Json, options: SegmentMapOptions, call: SegmentCall) {
  const own = isObject(message.context) ? message.context : {};
  const shared = isObject(options.batchContext) ? options.batchContext : {};
  return { ...shared, ...own, segment: segmentFacts(message, call) };
}

/** Segment's rule: timestamp = receivedAt − (sentAt − originalTimestamp), as the native one. */
function timeOf(message: Json, options: SegmentMapOptions) {
  const field = message.timestamp != null ? 'timestamp' : 'originalTimestamp';
  const sent = message.sentAt ?? options.batchSentAt;
  if (message[field] == null) {
    // Nothing says when it happened: when it was received, with no skew to correct.
    return { field, time: { timestamp: new Date(options.receivedAt).toISOString() } };
  }
  return {
    field,
    time: { timestamp: message[field], ...(sent == null ? {} : { sentAt: sent }) },
  };
}

interface Body {
  type: string;
  properties?: unknown;
  channel?: string;
  anonymousId?: unknown;
  renames: Renames;
}

function pageBody(message: Json, call: 'page' | 'screen'): StepResult<Body> {
  const properties = isObject(message.properties) ? message.properties : {};
  const page =
    isObject(message.context) && isObject(message.context.page) ? message.context.page : {};
  const name = message.name;
  if (call === 'screen') {
    if (properties.url === undefined && typeof name !== 'string') {
      return reject('invalid', { path: 'name', message: 'is required (a screen without a url)' });
    }
    return ok({
      type: 'page_view',
      channel: 'mobile',
      properties: {
        ...properties,
        url: properties.url ?? `screen:${String(name)}`,
        title: properties.title ?? name,
      },
      renames: [],
    });
  }
  const fromPage = (key: string) => properties[key] ?? page[key];
  const taken = Object.fromEntries(
    ['url', 'title', 'referrer', 'path']
      .map((key) => [key, fromPage(key)] as const)
      .filter(([, value]) => value !== undefined),
  );
  return ok({
    type: 'page_view',
    properties: {
      ...properties,
      ...taken,
      ...(name === undefined || properties.name !== undefined ? {} : { name }),
    },
    renames: [
      [
        'properties.url',
        properties.url === undefined && page.url !== undefined
          ? 'context.page.url'
          : 'properties.url',
      ],
    ],
  });
}

function trackBody(message: Json, options: SegmentMapOptions): StepResult<Body> {
  const properties = isObject(message.properties) ? message.properties : {};
  if (typeof message.event === 'string') {
    const spec = mapSpecEvent(message.event, properties, options.reportingCurrency);
    if (spec) return ok({ type: spec.type, properties: spec.properties, renames: spec.renames });
  }
  // Rapport's track keeps its name in properties.name; a property of that name moves aside.
  const { name: nameProperty, ...rest } = properties;
  return ok({
    type: 'track',
    properties: {
      ...rest,
      ...(nameProperty === undefined ? {} : { nameProperty }),
      name: message.event,
    },
    renames: [['properties.name', 'event']],
  });
}

function bodyOf(message: Json, call: SegmentCall, options: SegmentMapOptions): StepResult<Body> {
  switch (call) {
    case 'track':
      return trackBody(message, options);
    case 'page':
    case 'screen':
      return pageBody(message, call);
    case 'identify':
      return ok({
        type: 'identify',
        ...(message.traits === undefined ? {} : { properties: { traits: message.traits } }),
        renames: [['properties.traits', 'traits']],
      });
    case 'alias':
      // An alias links the id the user had (previousId) to the one they have now (userId).
      if (message.previousId === undefined) {
        return reject('invalid', { path: 'previousId', message: 'is required' });
      }
      return ok({
        type: 'identify',
        anonymousId: idText(message.previousId),
        renames: [['anonymousId', 'previousId']],
      });
    case 'group':
      if (message.groupId === undefined) {
        return reject('invalid', { path: 'groupId', message: 'is required' });
      }
      return ok({
        type: 'track',
        properties: {
          name: 'Group',
          groupId: idText(message.groupId),
          ...(message.traits === undefined ? {} : { traits: message.traits }),
        },
        renames: [],
      });
  }
}

function callOf(message: Json, options: SegmentMapOptions): StepResult<SegmentCall> {
  const type = options.call ?? message.type;
  if (typeof type === 'string' && (SEGMENT_CALLS as readonly string[]).includes(type)) {
    return ok(type as SegmentCall);
  }
  return reject('invalid', {
    path: 'type',
    message: type === undefined ? 'is required' : `must be one of ${SEGMENT_CALLS.join(', ')}`,
  });
}

/** The fields that hold objects; null stands for none, as some SDKs send it. */
const OBJECT_FIELDS = ['properties', 'traits', 'context'] as const;

function withObjectFields(message: Json): StepResult<Json> {
  const bad = OBJECT_FIELDS.filter((key) => message[key] != null && !isObject(message[key]));
  if (bad.length > 0) {
    return reject('invalid', ...bad.map((path) => ({ path, message: 'must be a JSON object' })));
  }
  const cleaned = { ...message };
  for (const key of OBJECT_FIELDS) if (cleaned[key] === null) delete cleaned[key];
  return ok(cleaned);
}

export function mapSegmentMessage(
  raw: unknown,
  options: SegmentMapOptions,
): StepResult<MappedMessage> {
  if (!isObject(raw)) {
    return reject('invalid', { path: '', message: 'a message must be a JSON object' });
  }
  const checked = withObjectFields(raw);
  if (!checked.ok) return checked;
  const message = checked.value;
  const call = callOf(message, options);
  if (!call.ok) return call;
  const body = bodyOf(message, call.value, options);
  if (!body.ok) return body;
  const { field, time } = timeOf(message, options);
  const channel = body.value.channel ?? channelOf(message, body.value.type);
  const messageId = eventIdOf(message.messageId);
  const event: Json = {
    type: body.value.type,
    ...(messageId === undefined ? {} : { eventId: messageId }),
    customerId: idText(message.userId),
    anonymousId: body.value.anonymousId ?? idText(message.anonymousId),
    ...time,
    ...(channel === undefined ? {} : { channel }),
    context: contextOf(message, options, call.value),
    ...(body.value.properties === undefined ? {} : { properties: body.value.properties }),
  };
  for (const key of Object.keys(event)) if (event[key] === undefined) delete event[key];
  const fieldOf = fieldNamer([
    ['eventId', 'messageId'],
    ['customerId', 'userId'],
    ['timestamp', field],
    ...body.value.renames,
  ]);
  return ok({ event, fieldOf });
}
