// `npm run bench`: every figure of the benchmarks issue, measured side by side in one run,
// printed as a table of ratios against baselines from the same run.
import { cpus, totalmem } from 'node:os';
import { bundleEntries, measureBundle } from '../../../scripts/lib/bundle-size.mjs';
import { measureLoopback } from './e2e.js';
import { measureOverhead } from './overhead.js';
import { measurePipeline } from './pipeline.js';
import { coldBurstLogins, steadyLogins } from './session.js';
import { printTable, ratio, type Row } from './stats.js';

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
const rows: Row[] = [];
const started = Date.now();

console.log(
  `Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
);

const overhead = await measureOverhead();
const sdk = overhead.get('SDK postJwtAuth')!;
const bare = overhead.get('openapi-fetch POST')!;
const request = overhead.get('fetch(new Request(...))')!;
for (const [name, micros] of overhead) {
  rows.push({
    group: 'per-call overhead (no network)',
    what: name,
    value: `${micros.toFixed(1)} µs`,
    ratio: ratio(micros, overhead.get('fetch(url, init)')!),
  });
}
rows.push({
  group: 'per-call overhead (no network)',
  what: 'SDK / openapi-fetch POST',
  value: '',
  ratio: ratio(sdk, bare),
  target: '≤ 1.10×',
  verdict: verdict(sdk / bare <= 1.1),
});
rows.push({
  group: 'per-call overhead (no network)',
  what: 'SDK / fetch(new Request)',
  value: '',
  ratio: ratio(sdk, request),
  target: '≤ 1.50×',
  verdict: verdict(sdk / request <= 1.5),
});

for (const concurrency of [1, 32]) {
  const { sdkMs, rawMs } = await measureLoopback({ concurrency, callsPerRound: concurrency === 1 ? 300 : 640 });
  const label = concurrency === 1 ? 'sequential' : `${concurrency} concurrent`;
  rows.push({ group: 'loopback login latency', what: `raw fetch, ${label}`, value: `${rawMs.toFixed(3)} ms` });
  rows.push({
    group: 'loopback login latency',
    what: `SDK, ${label}`,
    value: `${sdkMs.toFixed(3)} ms`,
    ratio: ratio(sdkMs, rawMs),
    target: '≤ 1.35×',
    verdict: verdict(sdkMs / rawMs <= 1.35),
  });
}

const burst = await coldBurstLogins(1000);
rows.push({
  group: 'session',
  what: 'logins for 1,000 concurrent calls, cold',
  value: String(burst),
  target: '1',
  verdict: verdict(burst === 1),
});
for (const renewBeforeMs of [5000, 2000]) {
  const { logins, ideal } = await steadyLogins({ renewBeforeMs });
  rows.push({
    group: 'session',
    what: `logins in 10 min at 50 calls/s, margin ${renewBeforeMs / 1000} s`,
    value: String(logins),
    target: `≤ ${ideal} (ideal)`,
    verdict: verdict(logins <= ideal),
  });
}

for (const entry of bundleEntries) {
  const { minifiedBytes, gzippedBytes } = await measureBundle(entry);
  rows.push({
    group: 'bundle (esbuild, gzip -9)',
    what: entry.name,
    value: `${gzippedBytes} B gz (${minifiedBytes} B min)`,
    target: `≤ ${entry.budgetBytes} B`,
    verdict: verdict(gzippedBytes <= entry.budgetBytes),
  });
}

const pipeline = measurePipeline();
rows.push({
  group: 'pipeline (turbo build+typecheck)',
  what: 'cold (--force)',
  value: `${(pipeline.coldMs / 1000).toFixed(2)} s`,
});
rows.push({
  group: 'pipeline (turbo build+typecheck)',
  what: `cached (${pipeline.cachedTasks})`,
  value: `${(pipeline.cachedMs / 1000).toFixed(2)} s`,
  ratio: ratio(pipeline.cachedMs, pipeline.coldMs),
  target: '≤ 0.10×',
  verdict: verdict(pipeline.cachedMs <= pipeline.coldMs / 10),
});

printTable(rows);
console.log(`\nbench finished in ${((Date.now() - started) / 1000).toFixed(0)} s`);
