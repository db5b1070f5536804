// Opens the built API reference (dist/index.html) in a real headless Chromium and checks
// what a reader sees: the operation, every request field and header, every response status
// with its description and example, and that the page talks to no host but this machine
// (no CDN, no telemetry). Requests to other hosts are recorded and blocked, never sent.
//
// Needs Debian's chromium at /usr/bin/chromium (scripts/ensure-chromium.sh installs it) and a
// built page (`npm run build` in this package). Writes dist/reference.png, a full-page
// screenshot of the expanded operation.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const executablePath = '/usr/bin/chromium';
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const pagePath = join(packageDir, 'dist/index.html');
const specPath = join(packageDir, 'dist/openapi.json');
const screenshotPath = join(packageDir, 'dist/reference.png');

// What the reference must show at the very least; the bundled spec may add more, and
// everything it declares is checked too.
const requiredFields = ['username', 'password', 'role', '2FA-token'];
const requiredHeaders = ['X-Fields'];
const requiredStatuses = ['200', '400', '401', '413', '415', '429'];

// ---- the bundled spec (dist/openapi.json), just what this test reads ----------------------

interface Ref {
  $ref: string;
}
interface Example {
  summary?: string;
  value: unknown;
}
interface MediaType {
  schema: Ref | { properties?: Record<string, unknown> };
  examples?: Record<string, Ref | Example>;
}
interface Response {
  description: string;
  content?: Record<string, MediaType>;
}
interface Parameter {
  name: string;
  in: string;
}
interface Operation {
  operationId: string;
  summary: string;
  parameters?: (Ref | Parameter)[];
  requestBody: { content: Record<string, MediaType> };
  responses: Record<string, Ref | Response>;
}
interface Spec {
  paths: Record<string, Record<string, Operation>>;
}

function loadSpec(): { spec: Spec; deref: <T>(value: Ref | T) => T } {
  const spec = JSON.parse(readFileSync(specPath, 'utf8')) as Spec;
  const deref = <T>(value: Ref | T): T => {
    if (value === null || typeof value !== 'object' || !('$ref' in value)) return value as T;
    const ref = (value as Ref).$ref;
    if (!ref.startsWith('#/')) throw new Error(`unexpected $ref in the bundled spec: ${ref}`);
    let node: unknown = spec;
    for (const key of ref.slice(2).split('/'))
      node = (node as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')];
    if (node === undefined) throw new Error(`dangling $ref in the bundled spec: ${ref}`);
    return deref(node as Ref | T);
  };
  return { spec, deref };
}

function findOperation(spec: Spec, operationId: string): Operation {
  for (const item of Object.values(spec.paths)) {
    for (const operation of Object.values(item)) {
      if (operation.operationId === operationId) return operation;
    }
  }
  throw new Error(`operation ${operationId} is not in ${specPath}`);
}

/** The text a reader looks for in a JSON example: its error `code` or its `access_token`. */
function exampleMarker(value: unknown): string {
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.code === 'string') return record.code;
    if (typeof record.access_token === 'string') return record.access_token;
  }
  throw new Error(`no code or access_token in the example ${JSON.stringify(value)}`);
}

// ---- network policy ------------------------------------------------------------------------

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLocalUrl(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (['file:', 'data:', 'blob:', 'about:'].includes(url.protocol)) return true;
  if (['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) {
    return loopbackHosts.has(url.hostname) || url.hostname.endsWith('.localhost');
  }
  return false;
}

// ---- the browser ---------------------------------------------------------------------------

let spec: Spec;
let deref: <T>(value: Ref | T) => T;
let userDataDir: string | undefined;
let context: BrowserContext | undefined;
let page: Page;
const requested: string[] = [];
const pageErrors: string[] = [];

describe('the API reference page (dist/index.html) in Chromium', () => {
  beforeAll(async () => {
    if (!existsSync(executablePath)) {
      throw new Error(
        `${executablePath} is missing: this test needs Debian's chromium. Install it with ` +
          '`scripts/ensure-chromium.sh` (apt-get install -y chromium) and run the test again.',
      );
    }
    if (!existsSync(pagePath) || !existsSync(specPath)) {
      throw new Error(`${pagePath} or ${specPath} is missing: run \`npm run build\` in packages/openapi first.`);
    }
    ({ spec, deref } = loadSpec());
    userDataDir = mkdtempSync(join(tmpdir(), 'lumminary-reference-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      args: [
        '--headless=new',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1280, height: 900 },
      serviceWorkers: 'block',
    });
    context.setDefaultTimeout(10_000);
    // Record every request of every page and worker; block (never send) any to another host.
    context.on('request', (request) => requested.push(request.url()));
    await context.route(
      (url) => !isLocalUrl(url.href),
      (route) => route.abort('blockedbyclient'),
    );
    page = context.pages()[0] ?? (await context.newPage());
    page.on('websocket', (socket) => requested.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(String(error)));

    await page.goto(pathToFileURL(pagePath).href, { waitUntil: 'load' });
    // Redoc renders the tag's operations collapsed: expand them.
    await page.getByRole('button', { name: '+ Show' }).click();
  }, 30_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it('renders the postJwtAuth operation', async () => {
    const operation = findOperation(spec, 'postJwtAuth');
    expect(operation.summary).toBe('General-purpose authentication');
    await expect.poll(() => page.getByRole('heading', { name: operation.summary }).isVisible()).toBe(true);
    // Redoc's anchors for an operation are derived from its operationId.
    expect(await page.locator('a[href*="postjwtauth" i]').count()).toBeGreaterThan(0);
    await expect.poll(() => page.getByText('POST', { exact: true }).first().isVisible()).toBe(true);
  });

  it('renders every request field and header', async () => {
    const operation = findOperation(spec, 'postJwtAuth');
    const form = operation.requestBody.content['application/x-www-form-urlencoded'];
    if (!form) throw new Error('postJwtAuth has no application/x-www-form-urlencoded body');
    const fields = Object.keys(deref(form.schema).properties ?? {});
    const headers = (operation.parameters ?? [])
      .map((p) => deref(p))
      .filter((p) => p.in === 'header')
      .map((p) => p.name);
    expect(fields).toEqual(expect.arrayContaining(requiredFields));
    expect(headers).toEqual(expect.arrayContaining(requiredHeaders));

    const names = page.locator('.schema-name');
    const rendered = await names.allInnerTexts();
    for (const name of [...fields, ...headers]) {
      expect(rendered, `the field ${name} is not on the page`).toContain(name);
      await expect
        .poll(() => names.getByText(name, { exact: true }).first().isVisible(), { message: `${name} is not visible` })
        .toBe(true);
    }
  });

  it('renders every response status with its description and example', async () => {
    const operation = findOperation(spec, 'postJwtAuth');
    const statuses = Object.keys(operation.responses);
    expect(statuses).toEqual(expect.arrayContaining(requiredStatuses));

    const tabs = page.getByRole('tablist', { name: 'Response status' }).getByRole('tab');
    expect(await tabs.allInnerTexts()).toEqual(statuses);
    const samples = page.locator('.panel-response-samples');
    await expect.poll(() => samples.isVisible()).toBe(true);

    for (const status of statuses) {
      const response = deref(operation.responses[status] as Ref | Response);
      // The middle panel: the status's tab shows its description (Markdown, rendered).
      await tabs.getByText(status, { exact: true }).click();
      const description = response.description.replaceAll('`', '');
      await expect
        .poll(() => page.getByText(description, { exact: true }).first().isVisible(), {
          message: `the ${status} description is not shown`,
        })
        .toBe(true);
      // The right panel: the status's button shows its first example.
      const examples = Object.values(response.content?.['application/json']?.examples ?? {});
      const first = examples[0];
      if (!first) throw new Error(`response ${status} has no example in the spec`);
      const marker = exampleMarker(deref(first).value);
      await samples.getByRole('button', { name: status, exact: true }).click();
      await expect.poll(() => samples.innerText(), { message: `the ${status} example is not shown` }).toContain(marker);
    }

    // The 200 example is the JWT itself.
    await samples.getByRole('button', { name: '200', exact: true }).click();
    await expect.poll(() => samples.innerText()).toMatch(/"access_token": "eyJ[\w-]+\.[\w-]+\.[\w-]+"/);
  });

  it('renders the request example', async () => {
    const operation = findOperation(spec, 'postJwtAuth');
    const examples = operation.requestBody.content['application/x-www-form-urlencoded']?.examples ?? {};
    const first = Object.values(examples)[0];
    if (!first) throw new Error('the form body has no example in the spec');
    const { summary, value } = deref(first);
    const payload = new URLSearchParams(value as Record<string, string>).toString();
    const panel = page.getByTestId('right-panel').filter({ hasText: 'Payload' }).first();
    if (summary) await expect.poll(() => panel.innerText()).toContain(summary);
    await expect.poll(() => panel.innerText()).toContain(payload);
  });

  it('writes a screenshot of the expanded operation to dist/reference.png', async () => {
    // The status checks scrolled down; Redoc leaves sections it scrolled past unpainted in a
    // full-page capture, so go back to the top first.
    await page.evaluate(() => window.scrollTo(0, 0));
    await expect.poll(() => page.getByRole('heading', { level: 1 }).first().isVisible()).toBe(true);
    await page.waitForTimeout(300);
    await page.screenshot({ path: screenshotPath, fullPage: true });
    const png = readFileSync(screenshotPath);
    expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
    expect(png.readUInt32BE(16)).toBe(1280); // width, from the IHDR chunk
    expect(png.readUInt32BE(20)).toBeGreaterThan(2000); // the expanded page is tall
  });

  it('requests nothing from any host but this machine (no CDN, no telemetry)', async () => {
    // Give late requests (telemetry is sent after rendering) a moment to show up.
    await page.waitForTimeout(500);
    expect(requested.length, 'no request was recorded at all').toBeGreaterThan(0);
    expect(requested[0]).toBe(pathToFileURL(pagePath).href);
    const remote = requested.filter((url) => !isLocalUrl(url));
    expect(remote, `the page requested non-local URLs:\n${remote.join('\n')}`).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});

describe('isLocalUrl', () => {
  it('accepts local schemes and loopback hosts only', () => {
    for (const url of [
      'file:///x/index.html',
      'data:image/svg+xml,<svg/>',
      'blob:null/1f2e',
      'about:blank',
      'http://127.0.0.1:4010/a',
      'http://localhost/',
      'ws://[::1]:9/',
    ]) {
      expect(isLocalUrl(url), url).toBe(true);
    }
    for (const url of [
      'https://cdn.redoc.ly/redoc/logo-mini-full.svg',
      'https://otel.cloud.redocly.com/v1/traces',
      'http://127.0.0.1.example.com/',
      'https://localhost.example.org/',
      'chrome-extension://abc/x.js',
      'not a url',
    ]) {
      expect(isLocalUrl(url), url).toBe(false);
    }
  });
});
