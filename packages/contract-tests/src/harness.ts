// Starts what the contract tests run against. The contract package is the only one that
// starts servers: Prism (via scripts/lib/prism.mjs) and the reference auth server.
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  addAccount,
  type AuthServerOptions,
  demoAccountsFile,
  demoCredentials,
  startAuthServer,
} from '@lumminary/auth-server';
import { type RunningPrism, startPrism } from '../../../scripts/lib/prism.mjs';

/** What a contract suite logs in to, as provided to the tests. */
export interface ContractTarget {
  /** `mock`: a Prism mock of the spec; `server`: the reference server behind `prism proxy --errors`. */
  kind: 'mock' | 'server';
  /** The SDK's baseUrl. */
  baseUrl: string;
  /** Where the server publishes its token keys (server only; the mock issues the spec's example). */
  jwksUrl?: string | undefined;
  /** Accounts with 2FA, one per test that logs in with a code (a code works once per account and step). */
  twoFactorAccounts: { username: string; password: string; totpSecret: string }[];
}

/** The spec's product example, also a demo account of the reference server. */
export const demoProduct = demoCredentials.product;

/** The `i`th (from 1) 2FA account the contract suites log in with: the same names against the mock and the server. */
export function contractTwoFactorAccount(i: number): { username: string; password: string } {
  return { username: `contract-2fa-${i}@example.org`, password: `contract password ${i} & more` };
}

/** The reference server behind a validating Prism proxy: every response that breaks the spec becomes an error. */
export interface ServerBehindProxy {
  /** The proxy's URL: what the SDK talks to. */
  url: string;
  /** The server's own URL (bypassing the proxy). */
  serverUrl: string;
  /** 2FA accounts created for this run (password and TOTP secret in clear, for the tests). */
  twoFactorAccounts: ContractTarget['twoFactorAccounts'];
  stop(): Promise<void>;
}

/**
 * Starts the reference server on a free loopback port with the demo accounts plus
 * `twoFactorAccounts` fresh 2FA accounts, and a Prism validation proxy in front of it.
 */
export async function startServerBehindProxy(
  options: Omit<AuthServerOptions, 'accountsFile' | 'accounts' | 'port'> & { twoFactorAccounts?: number } = {},
): Promise<ServerBehindProxy> {
  const { twoFactorAccounts: extraAccounts = 0, ...serverOptions } = options;
  const folder = await mkdtemp(join(tmpdir(), 'lumminary-contract-'));
  const accountsFile = join(folder, 'accounts.json');
  await copyFile(demoAccountsFile, accountsFile);
  const twoFactorAccounts: ContractTarget['twoFactorAccounts'] = [];
  for (let i = 1; i <= extraAccounts; i++) {
    const account = contractTwoFactorAccount(i);
    const { totp } = await addAccount(accountsFile, {
      username: account.username,
      secret: account.password,
      twoFactor: true,
      // Cheap hashing: the tests are about the contract, not scrypt's cost.
      scrypt: { N: 1024, r: 8, p: 1 },
    });
    if (!totp) throw new Error('addAccount made no TOTP secret');
    twoFactorAccounts.push({ ...account, totpSecret: totp.secret });
  }
  const server = await startAuthServer({ quiet: true, ...serverOptions, accountsFile });
  let prism: RunningPrism;
  try {
    prism = await startPrism({ mode: 'proxy', upstream: server.url });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    url: prism.url,
    serverUrl: server.url,
    twoFactorAccounts,
    async stop() {
      await prism.stop();
      await server.close();
      await rm(folder, { recursive: true, force: true });
    },
  };
}
