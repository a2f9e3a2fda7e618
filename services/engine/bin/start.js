#!/usr/bin/env node
// `npm start`: the bundle bin/build.mjs wrote, with libuv's pool sized first (see rapport.js).
process.env.UV_THREADPOOL_SIZE ??= '16';
import('../dist/rapport.js').catch((error) => {
  console.error(error);
  process.exit(1);
});
