#!/usr/bin/env node
// Each statement of the embedded store runs on a thread of libuv's pool, 4 threads unless
// UV_THREADPOOL_SIZE says otherwise, and the engine holds six connections (the writer's, two
// for reads, one each for heavy reads, job runs and background rewrites) beside the profile
// rows' local copy and file reads, which take threads from the same pool: with 4, the writer's
// insert could wait for a thread while reads ran (measured: six one-second statements on six
// connections took 2.06 s with the default and 1.03 s with 16). The pool reads the size when it starts, and loading an ES
// module starts it, so this entry is CommonJS (see package.json here) and sets it first.
process.env.UV_THREADPOOL_SIZE ??= '16';
import('./main.mjs').catch((error) => {
  console.error(error);
  process.exit(1);
});
