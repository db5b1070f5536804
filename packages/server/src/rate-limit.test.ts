import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createAuthApp } from './app.js';
import { FailureCounter, retryAfterSeconds, type RateLimitOptions } from './rate-limit.js';
import {
  clientFields,
  codeAt,
  demoProduct,
  expectError,
  expectToken,
  login,
  productFields,
  TestClock,
  type Fields,
} from './test-support/demo.js';

const wrongProduct: Fields = [
  ['username', demoProduct.username],
  ['password', 'not the key'],
  ['role', 'role_product'],
];

function setup(rateLimit: RateLimitOptions = {}) {
  const clock = new TestClock();
  // Tests name their client address in a header; the real server uses the socket's address.
  const app = createAuthApp({
    clock,
    quiet: true,
    rateLimit,
    clientAddress: (request) => request.headers.get('x-test-client') ?? 'a',
  });
  return { clock, app };
}

async function expect429(response: Response): Promise<number> {
  const retryAfter = response.headers.get('Retry-After');
  await expectError(response, 429, 'too_many_requests');
  expect(retryAfter).toMatch(/^[1-9]\d*$/u);
  const seconds = Number(retryAfter);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(86_400);
  return seconds;
}

describe('rate limiting per account', () => {
  it('answers 429 with Retry-After after 5 failures, even for the right password, until the window slides', async () => {
    const { clock, app } = setup({ windowMs: 60_000 });
    for (let i = 0; i < 5; i++) {
      await expectError(await login(app, wrongProduct), 401, 'invalid_credentials');
      clock.advance(1_000);
    }
    // Failures at t0..t0+4 s; now t0+5 s: the oldest leaves the window at t0+60 s.
    expect(await expect429(await login(app, productFields()))).toBe(55);
    expect(await expect429(await login(app, productFields(), 'multipart'))).toBe(55);
    clock.advance(50_000);
    expect(await expect429(await login(app, productFields()))).toBe(5);
    clock.advance(5_000);
    await expectToken(await login(app, productFields()));
  });

  it('resets the account count after a success', async () => {
    const { app } = setup();
    for (let i = 0; i < 4; i++) await expectError(await login(app, wrongProduct), 401, 'invalid_credentials');
    await expectToken(await login(app, productFields()));
    for (let i = 0; i < 4; i++) await expectError(await login(app, wrongProduct), 401, 'invalid_credentials');
    await expectToken(await login(app, productFields()));
  });

  it('counts wrong 2FA codes and unknown usernames too (case-insensitively)', async () => {
    const { app } = setup();
    for (let i = 0; i < 5; i++)
      await expectError(await login(app, clientFields('000000')), 401, 'invalid_two_factor_token');
    await expect429(await login(app, clientFields(codeAt(new TestClock().now()))));
    for (let i = 0; i < 5; i++) {
      const username = i % 2 === 0 ? 'ghost@example.org' : 'GHOST@example.org';
      await expectError(
        await login(
          app,
          [
            ['username', username],
            ['password', 'x'],
            ['role', 'role_x'],
          ],
          'form',
          { 'x-test-client': 'b' },
        ),
        401,
        'invalid_credentials',
      );
    }
    await expect429(
      await login(
        app,
        [
          ['username', 'Ghost@Example.org'],
          ['password', 'x'],
          ['role', 'role_x'],
        ],
        'form',
        { 'x-test-client': 'b' },
      ),
    );
  });

  it('does not count malformed requests', async () => {
    const { app } = setup();
    for (let i = 0; i < 10; i++)
      await expectError(
        await login(app, [
          ['username', demoProduct.username],
          ['password', ''],
        ]),
        400,
        'invalid_request',
      );
    await expectToken(await login(app, productFields()));
  });
});

describe('rate limiting per client address', () => {
  it('answers 429 after 20 failures from one address, across usernames; other addresses are unaffected', async () => {
    const { app } = setup({ addressFailures: 20, accountFailures: 5 });
    for (let i = 0; i < 20; i++) {
      await expectError(
        await login(app, [
          ['username', `user${i}@example.org`],
          ['password', 'x'],
          ['role', 'role_product'],
        ]),
        401,
        'invalid_credentials',
      );
    }
    await expect429(await login(app, productFields()));
    await expectToken(await login(app, productFields(), 'form', { 'x-test-client': 'another address' }));
    // A success does not reset the address count.
    await expect429(await login(app, productFields()));
  });

  it('is configurable', async () => {
    const { clock, app } = setup({ addressFailures: 2, windowMs: 10_000 });
    await expectError(await login(app, wrongProduct), 401, 'invalid_credentials');
    await expectError(
      await login(app, [
        ['username', 'x@example.org'],
        ['password', 'x'],
        ['role', 'role_product'],
      ]),
      401,
      'invalid_credentials',
    );
    expect(await expect429(await login(app, productFields()))).toBe(10);
    clock.advance(10_000);
    await expectToken(await login(app, productFields()));
  });
});

describe('FailureCounter', () => {
  it('keeps memory bounded: at most maxKeys keys and limit timestamps per key', () => {
    const counter = new FailureCounter(3, 1_000, 50);
    for (let i = 0; i < 1_000; i++) counter.recordFailure(`key${i}`, i);
    expect(counter.size).toBeLessThanOrEqual(50);
    for (let i = 0; i < 100; i++) counter.recordFailure('hot', 2_000 + i);
    expect(counter.blockedForMs('hot', 2_100)).toBe(2_097 + 1_000 - 2_100);
    expect(counter.size).toBeLessThanOrEqual(50);
  });

  it('prunes expired keys before evicting live ones', () => {
    const counter = new FailureCounter(1, 1_000, 3);
    counter.recordFailure('old', 0);
    counter.recordFailure('live1', 5_000);
    counter.recordFailure('live2', 5_001);
    counter.recordFailure('live3', 5_002);
    expect(counter.size).toBe(3);
    expect(counter.blockedForMs('live1', 5_003)).toBeGreaterThan(0);
  });

  it('never blocks below the limit and always blocks at it within the window (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 10 }),
        fc.array(fc.integer({ min: 0, max: 500 }), { maxLength: 30 }),
        (limit, gaps) => {
          const counter = new FailureCounter(limit, 1_000, 100);
          let now = 0;
          const times: number[] = [];
          for (const gap of gaps) {
            now += gap;
            counter.recordFailure('k', now);
            times.push(now);
            const inWindow = times.filter((time) => time > now - 1_000);
            expect(counter.blockedForMs('k', now) > 0).toBe(inWindow.length >= limit);
          }
        },
      ),
    );
  });

  it('rejects nonsense limits', () => {
    expect(() => new FailureCounter(0, 1_000, 10)).toThrow(RangeError);
    expect(() => new FailureCounter(5, Number.NaN, 10)).toThrow(RangeError);
  });

  it('rounds Retry-After to whole seconds within 1..86400', () => {
    expect(retryAfterSeconds(1)).toBe(1);
    expect(retryAfterSeconds(1_001)).toBe(2);
    expect(retryAfterSeconds(0)).toBe(1);
    expect(retryAfterSeconds(10 ** 12)).toBe(86_400);
  });
});
