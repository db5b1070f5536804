// 2FA against a listening reference server (the demo Client, TOTP computed here from RFC 6238, clock
// injected): a code works once (replays rejected, also the previous step's code after a later one);
// 25 concurrent logins with one fresh code give exactly one 200 and 24 × 401 invalid_two_factor_token;
// codes of ±1 step are accepted, ±2 steps and more rejected, also at the edges of a step.
import { verifyAccessToken } from '@lumminary/auth-server';
import type { JSONWebKeySet } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCases, recordFigure } from './figures/record.js';
import {
  clientFields,
  demoClient,
  demoProduct,
  jwksPath,
  jwtAuthPath,
  postForm,
  productFields,
  startCapturedServer,
  stepMs,
  t0,
  TestClock,
  totpAt,
  type CapturedServer,
} from './support/server-harness.js';

const family = '2fa';
const clock = new TestClock();
let server: CapturedServer;
let jwks: JSONWebKeySet;
const tally = { tried: 0, failures: [] as string[] };

beforeAll(async () => {
  // Limits high enough that every loser of a race, and every rejected code, is a 401 (never a 429).
  server = await startCapturedServer({ clock, rateLimit: { accountFailures: 10_000, addressFailures: 10_000 } });
  jwks = (await (await fetch(`${server.url}${jwksPath}`)).json()) as JSONWebKeySet;
});

afterAll(async () => {
  recordCases(family, tally.tried, tally.failures.length);
  await server?.close();
});

/** `200`, or `<status> <code>` from the JSON error body: never a token or a submitted value. */
async function outcomeOf(response: Response): Promise<string> {
  const body = (await response.json()) as { code?: string; access_token?: string };
  if (response.status === 200) {
    const claims = await verifyAccessToken(body.access_token ?? '', { jwks, clock });
    return claims.sub === demoClient.username ? '200' : '200 for another subject';
  }
  return `${response.status} ${body.code}`;
}

/** Logs in and compares the outcome with `expected`; a mismatch is listed (by `name`) and counted. */
async function check(name: string, response: Promise<Response>, expected: string): Promise<string> {
  const outcome = await outcomeOf(await response);
  tally.tried++;
  if (outcome !== expected) tally.failures.push(`${name}: ${outcome}, expected ${expected}`);
  return outcome;
}

const login = (code: string | undefined, password?: string) => postForm(server.url, clientFields(code, password));
const rejectedCode = '401 invalid_two_factor_token';
let nextStep = 0;
/** Puts the clock `offsetMs` into a step no code was accepted in yet (10 steps past the last one used). */
function freshStep(offsetMs = 5_000): number {
  nextStep += 10;
  clock.ms = Math.floor(t0 / stepMs) * stepMs + nextStep * stepMs + offsetMs;
  return clock.ms;
}

describe('2fa', () => {
  it('accepts a code once: replays are rejected, also later in its step and once a later step was used', async () => {
    const now = freshStep();
    const code = totpAt(now);
    const outcomes = [
      await check('fresh code', login(code), '200'),
      await check('replay', login(code), rejectedCode),
      await check('replay in the multipart encoding', multipartLogin(code), rejectedCode),
    ];
    clock.advance(20_000); // still the same step
    outcomes.push(await check('replay 20 s later, same step', login(code), rejectedCode));
    clock.advance(10_000); // the next step
    const next = totpAt(clock.now());
    outcomes.push(await check('the next step’s code', login(next), '200'));
    outcomes.push(await check('the previous step’s code (within ±1) after it', login(code), rejectedCode));
    outcomes.push(await check('the next step’s code replayed', login(next), rejectedCode));
    expect(outcomes).toEqual(['200', rejectedCode, rejectedCode, rejectedCode, '200', rejectedCode, rejectedCode]);
  });

  it('gives exactly one 200 to 25 concurrent logins with one fresh code, 401 to the 24 others (form and multipart)', async () => {
    for (const encoding of ['form', 'multipart'] as const) {
      const code = totpAt(freshStep());
      const started = performance.now();
      const responses = await Promise.all(
        Array.from({ length: 25 }, () => (encoding === 'form' ? login(code) : multipartLogin(code))),
      );
      recordFigure(family, `25 concurrent logins, ${encoding} (ms)`, Math.round(performance.now() - started));
      const outcomes = await Promise.all(responses.map((response) => outcomeOf(response)));
      tally.tried += outcomes.length;
      const wins = outcomes.filter((outcome) => outcome === '200').length;
      const losers = outcomes.filter((outcome) => outcome === rejectedCode).length;
      if (wins !== 1 || losers !== 24) tally.failures.push(`race (${encoding}): ${wins} × 200, ${losers} × 401`);
      expect({ encoding, wins, losers }).toEqual({ encoding, wins: 1, losers: 24 });
    }
  });

  it.each([
    ['5 s into a step', 5_000],
    ['at the first millisecond of a step', 0],
    ['at the last millisecond of a step', stepMs - 1],
  ])('accepts ±1 step and rejects ±2 steps and more, %s', async (_label, offsetMs) => {
    const now = freshStep(offsetMs);
    const codeFor = (steps: number) => totpAt(now + steps * stepMs);
    const accepted = [-1, 0, 1];
    const refused = [-2, 2, -3, 3, -10, 10, -100];
    // The codes differ (a collision would make the case meaningless).
    expect(new Set([...accepted, ...refused].map(codeFor)).size).toBe(accepted.length + refused.length);
    const outcomes: Record<string, string> = {};
    for (const steps of refused) outcomes[steps] = await check(`${steps} steps`, login(codeFor(steps)), rejectedCode);
    // In step order: each accepted code is for a later step than the one before it.
    for (const steps of accepted) outcomes[steps] = await check(`${steps} steps`, login(codeFor(steps)), '200');
    expect(outcomes).toEqual({
      '-100': rejectedCode,
      '-10': rejectedCode,
      '-3': rejectedCode,
      '-2': rejectedCode,
      '-1': '200',
      '0': '200',
      '1': '200',
      '2': rejectedCode,
      '3': rejectedCode,
      '10': rejectedCode,
    });
  });

  it('rejects a missing or malformed code; a wrong password does not use up the code', async () => {
    const code = totpAt(freshStep());
    const outcomes = [
      await check('no code', login(undefined), rejectedCode),
      await check('a 5-digit code', login(code.slice(0, 5)), '400 invalid_request'),
      await check('the code with a letter', login(`${code.slice(0, 5)}x`), '400 invalid_request'),
      await check('the code as 8 digits (00 + code)', login(`00${code}`), rejectedCode),
      await check('the right code with a wrong password', login(code, 'wrong password'), '401 invalid_credentials'),
      await check('the same code with the right password', login(code), '200'),
    ];
    expect(outcomes).toEqual([
      rejectedCode,
      '400 invalid_request',
      '400 invalid_request',
      rejectedCode,
      '401 invalid_credentials',
      '200',
    ]);
  });

  it('ignores a well-formed code for an account without 2FA', async () => {
    const response = await postForm(server.url, [...productFields(), ['2FA-token', '000000']]);
    tally.tried++;
    const body = (await response.json()) as { access_token?: string };
    expect(response.status).toBe(200);
    const claims = await verifyAccessToken(body.access_token ?? '', { jwks, clock });
    expect(claims.sub).toBe(demoProduct.username);
  });
});

function multipartLogin(code: string): Promise<Response> {
  const form = new FormData();
  for (const [name, value] of clientFields(code)) form.append(name, value);
  return fetch(`${server.url}${jwtAuthPath}`, { method: 'POST', body: form, signal: AbortSignal.timeout(20_000) });
}
