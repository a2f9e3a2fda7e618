// Runs the TypeScript sources directly; no build step stands between a checkout and a run.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
