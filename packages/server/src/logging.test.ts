import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAuthApp } from './app.js';
import { startAuthServer } from './server.js';
import {
  clientFields,
  codeAt,
  demoClient,
  demoProduct,
  expectToken,
  login,
  productFields,
  t0,
  TestClock,
} from './test-support/demo.js';

const sentinels = {
  password: 'SENTINEL-password-b1c2',
  apiKey: 'SENTINEL-apikey-d3e4',
  code: '97531864',
  username: 'sentinel-user-f5a6@example.org',
};
const linePattern =
  /^(?:[A-Z][A-Z-]*|\(other method\)) (?:\/auth\/jwt|\/\.well-known\/jwks\.json|\(unknown path\)) \d{3} \d+\.\dms$/u;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('request logs', () => {
  it('write one line per request (method, path, status, ms) and never a secret or token', async () => {
    const lines: string[] = [];
    const app = createAuthApp({ clock: new TestClock(), log: (line) => lines.push(line) });
    const tokens: string[] = [];
    const requests: (() => Promise<Response>)[] = [
      () => login(app, productFields()),
      () => login(app, clientFields(codeAt(t0))),
      () =>
        login(app, [
          ['username', demoProduct.username],
          ['password', sentinels.apiKey],
          ['role', 'role_product'],
        ]),
      () => login(app, clientFields(sentinels.code, sentinels.password)),
      () => login(app, clientFields(sentinels.code)),
      () =>
        login(
          app,
          [
            ['username', sentinels.username],
            ['password', sentinels.password],
            ['role', 'role_product'],
            ['2FA-token', sentinels.code],
          ],
          'multipart',
        ),
      () =>
        login(app, [
          ['username', sentinels.username],
          ['password', `${sentinels.password}\0`],
          ['role', 'role_product'],
        ]),
      () =>
        login(app, [
          ['password', sentinels.password],
          [sentinels.apiKey, sentinels.password],
        ]),
      () => Promise.resolve(app.request(`/auth/jwt?password=${sentinels.password}`, { method: 'GET' })),
      () => Promise.resolve(app.request(`/${sentinels.apiKey}/${sentinels.password}`, { method: 'POST' })),
      () =>
        Promise.resolve(
          app.request('/auth/jwt', {
            method: 'POST',
            body: sentinels.password,
            headers: { 'Content-Type': 'text/plain', 'X-Fields': sentinels.code },
          }),
        ),
      () =>
        login(app, productFields(), 'form', {
          'X-Fields': `{${sentinels.apiKey.replaceAll('-', '_')}}`,
          Authorization: `Bearer ${sentinels.apiKey}`,
        }),
    ];
    for (const request of requests) {
      const response = await request();
      const text = await response.text();
      if (response.status === 200) tokens.push((JSON.parse(text) as { access_token: string }).access_token);
    }
    expect(tokens).toHaveLength(2);
    expect(lines).toHaveLength(requests.length);
    for (const line of lines) expect(line).toMatch(linePattern);
    const forbidden = [
      ...Object.values(sentinels),
      sentinels.apiKey.replaceAll('-', '_'),
      demoProduct.password,
      demoClient.password,
      codeAt(t0),
      ...tokens,
      ...tokens.flatMap((token) => token.split('.')),
    ];
    const all = lines.join('\n');
    for (const secret of forbidden) expect(all).not.toContain(secret);
    expect(lines[0]).toMatch(/^POST \/auth\/jwt 200 /u);
    expect(lines[2]).toMatch(/^POST \/auth\/jwt 401 /u);
    expect(lines[8]).toMatch(/^GET \/auth\/jwt 405 /u);
    expect(lines[9]).toMatch(/^POST \(unknown path\) 404 /u);
  });

  it('are silent with quiet, and go to console.log by default', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    await expectToken(await login(createAuthApp({ quiet: true }), productFields()));
    expect(spy).not.toHaveBeenCalled();
    await (await createAuthApp().request('/nowhere')).text();
    expect(spy).toHaveBeenCalledTimes(1);
    expect(spy.mock.calls[0]?.[0]).toMatch(/^GET \(unknown path\) 404 /u);
  });

  it('record an internal failure by error class only; the client gets a JSON 500 without details', async () => {
    const lines: string[] = [];
    const failingClock = {
      now(): number {
        throw new TypeError(`clock broke near ${sentinels.password}`);
      },
    };
    const app = createAuthApp({ clock: failingClock, log: (line) => lines.push(line) });
    const response = await login(app, productFields());
    const text = await response.text();
    expect(response.status).toBe(500);
    expect(response.headers.get('Content-Type')).toMatch(/^application\/json/u);
    expect(JSON.parse(text)).toEqual({ code: 'internal_error', message: 'The server failed to handle the request.' });
    expect(text).not.toContain('SENTINEL');
    expect(text).not.toContain('clock');
    expect(lines).toEqual([expect.stringMatching(/^POST \/auth\/jwt 500 \d+\.\dms internal error \(TypeError\)$/u)]);
    expect(lines.join('\n')).not.toContain('SENTINEL');
  });

  it('of a real server never hold the secrets of requests sent over the socket', async () => {
    const lines: string[] = [];
    const server = await startAuthServer({ log: (line) => lines.push(line) });
    try {
      const body = new URLSearchParams([
        ['username', demoProduct.username],
        ['password', sentinels.apiKey],
        ['role', 'role_product'],
      ]);
      const response = await fetch(`${server.url}/auth/jwt?key=${sentinels.password}`, { method: 'POST', body });
      expect(response.status).toBe(401);
      await response.text();
    } finally {
      await server.close();
    }
    expect(lines).toEqual([expect.stringMatching(/^POST \/auth\/jwt 401 /u)]);
    expect(lines.join('\n')).not.toContain('SENTINEL');
  });
});
