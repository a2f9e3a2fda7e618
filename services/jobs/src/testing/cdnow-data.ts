import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zipEntries } from './zip-entries.js';

/**
 * The CDNOW sample as the `lifetimes` package (PyPI, 0.11.3) ships it in lifetimes/datasets/:
 * the purchase log and the paper's per-customer summary. The data has no licence of its own,
 * so the project does not hold it: it is taken from the package's wheel on PyPI, whose
 * SHA-256 is checked against PyPI's own and the one known here (and each file's too), and
 * kept in a directory under the system's temporary directory named by that SHA-256, so later
 * runs need no network.
 * RAPPORT_CDNOW_DIR names a directory holding both files instead.
 */
export const CDNOW_FILES = ['CDNOW_sample.txt', 'cdnow_customers_summary.csv'] as const;

const PACKAGE_JSON = 'https://pypi.org/pypi/lifetimes/json';
const VERSION = '0.11.3';
const WHEEL = 'Lifetimes-0.11.3-py3-none-any.whl';
const WHEEL_SHA256 = '261e3dc89977c2b60767ca6728aaa29d429de0c814635070a749c36555895da8';
/** Each file as the wheel holds it: a kept copy that differs is fetched again. */
const FILE_SHA256: Record<(typeof CDNOW_FILES)[number], string> = {
  'CDNOW_sample.txt': '6fae10155c0b0ba363c2c386e30f77990d22328220efd862a5edd1443420d94a',
  'cdnow_customers_summary.csv': '09d92ca80daaabe8be0f997d4c539f9c9606106baa5b199081fe01cbce5fa9f6',
};

const sha256Of = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function isKept(path: string, sha256: string): boolean {
  return existsSync(path) && sha256Of(readFileSync(path)) === sha256;
}

export type CdnowData = { dir: string; source: string } | { skip: string };

interface PypiFile {
  filename: string;
  url: string;
  digests: { sha256: string };
}

/** Where the two files are, fetching them once if need be; `skip` only when PyPI is unreachable. */
export async function cdnowData(
  env: Record<string, string | undefined> = process.env,
): Promise<CdnowData> {
  const override = env.RAPPORT_CDNOW_DIR ?? '';
  if (override !== '') {
    const missing = CDNOW_FILES.filter((name) => !existsSync(join(override, name)));
    if (missing.length > 0) {
      throw new Error(`RAPPORT_CDNOW_DIR=${override} has no ${missing.join(' or ')}`);
    }
    return { dir: override, source: 'RAPPORT_CDNOW_DIR' };
  }
  const dir = join(tmpdir(), `rapport-cdnow-${WHEEL_SHA256.slice(0, 16)}`);
  if (CDNOW_FILES.every((name) => isKept(join(dir, name), FILE_SHA256[name]))) {
    return { dir, source: `${WHEEL}, cached` };
  }
  let answer: Response;
  try {
    answer = await fetch(PACKAGE_JSON, { signal: AbortSignal.timeout(60_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? String(error);
    return { skip: `PyPI cannot be reached (${cause}) to fetch the lifetimes wheel` };
  }
  if (!answer.ok) throw new Error(`${PACKAGE_JSON} answered ${answer.status}`);
  const project = (await answer.json()) as { releases?: Record<string, PypiFile[]> };
  const file = project.releases?.[VERSION]?.find((f) => f.filename === WHEEL);
  if (file === undefined) throw new Error(`PyPI lists no ${WHEEL}`);
  if (file.digests.sha256 !== WHEEL_SHA256) {
    throw new Error(`PyPI gives ${WHEEL} the SHA-256 ${file.digests.sha256}, not ${WHEEL_SHA256}`);
  }
  const download = await fetch(file.url, { signal: AbortSignal.timeout(180_000) });
  if (!download.ok) throw new Error(`${file.url} answered ${download.status}`);
  const wheel = Buffer.from(await download.arrayBuffer());
  const sha256 = sha256Of(wheel);
  if (sha256 !== WHEEL_SHA256) {
    throw new Error(`the downloaded ${WHEEL} has the SHA-256 ${sha256}, not ${WHEEL_SHA256}`);
  }
  const entries = zipEntries(
    wheel,
    CDNOW_FILES.map((name) => `lifetimes/datasets/${name}`),
  );
  mkdirSync(dir, { recursive: true });
  for (const name of CDNOW_FILES) {
    const data = entries.get(`lifetimes/datasets/${name}`) ?? Buffer.alloc(0);
    if (sha256Of(data) !== FILE_SHA256[name]) {
      throw new Error(
        `${name} in ${WHEEL} has the SHA-256 ${sha256Of(data)}, not ${FILE_SHA256[name]}`,
      );
    }
    // Written aside and renamed, so that a file present is always whole.
    const partial = join(dir, `${name}.${process.pid}.partial`);
    writeFileSync(partial, data);
    renameSync(partial, join(dir, name));
  }
  return { dir, source: `${WHEEL} from PyPI` };
}
