#!/usr/bin/env node
// `npm run mock`: serves the bundled spec with a Prism mock on 127.0.0.1 until Ctrl-C.
// Build first (`npm run build`). PORT picks the port (default: a free one).
import { startPrism } from './lib/prism.mjs';

const port = process.env.PORT ? Number(process.env.PORT) : undefined;
const prism = await startPrism({ mode: 'mock', ...(port ? { port } : {}), logLevel: 'info' });
console.log(`Prism mock of openapi/ listening at ${prism.url} (POST ${prism.url}/auth/jwt). Ctrl-C stops it.`);
const shutdown = async () => {
  await prism.stop();
  process.exit(0);
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
