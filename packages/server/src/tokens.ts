import { KeyObject, randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  SignJWT,
  type CryptoKey,
  type JSONWebKeySet,
  type JWK,
  type JWTPayload,
} from 'jose';
import { systemClock, type Clock } from './clock.js';

/** The only signing algorithm: ECDSA with P-256 and SHA-256. */
export const accessTokenAlgorithm = 'ES256';
/** Tokens are valid for 30 seconds from the moment they are issued (the spec's rule). */
export const accessTokenLifetimeSeconds = 30;
/** The default `iss` claim of issued tokens. */
export const defaultIssuer = 'urn:lumminary:reference-auth-server';

/** An ES256 (P-256) key pair to sign tokens with. */
export interface SigningKeyPair {
  /** The private key (a WebCrypto `CryptoKey` or a Node `KeyObject`). */
  privateKey: CryptoKey | KeyObject;
  /** The matching public key, published in the JWKS. */
  publicKey: CryptoKey | KeyObject;
}

/** The claims of an access token issued by this server. */
export interface AccessTokenClaims {
  /** The issuer. */
  iss: string;
  /** The username of the account, as the accounts file spells it. */
  sub: string;
  /** The role the token was issued for. */
  role: string;
  /** Issued at, in seconds since the epoch. */
  iat: number;
  /** Expires at, `iat + 30`. */
  exp: number;
  /** A random UUID identifying the token. */
  jti: string;
}

interface ReadyKey {
  privateKey: CryptoKey | KeyObject;
  kid: string;
  jwks: JSONWebKeySet;
}

function isP256(key: CryptoKey | KeyObject): boolean {
  if (key instanceof KeyObject) {
    return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
  }
  const algorithm = key.algorithm as { name?: string; namedCurve?: string };
  return algorithm.name === 'ECDSA' && algorithm.namedCurve === 'P-256';
}

async function prepareKey(pair: SigningKeyPair | undefined): Promise<ReadyKey> {
  const { privateKey, publicKey } = pair ?? (await generateKeyPair(accessTokenAlgorithm, { extractable: false }));
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const { kty, crv, x, y } = publicJwk;
  return { privateKey, kid, jwks: { keys: [{ kty, crv, x, y, kid, alg: accessTokenAlgorithm, use: 'sig' } as JWK] } };
}

/** Signs access tokens and publishes the verification key. */
export interface TokenIssuer {
  /** Signs a token for `sub`/`role`, issued at `nowMs` (whole seconds) and valid for 30 seconds. */
  sign(subject: string, role: string, nowMs: number): Promise<string>;
  /** The JSON Web Key Set holding the public key. */
  jwks(): Promise<JSONWebKeySet>;
}

/** Creates a token issuer; without `key`, a fresh ES256 key pair is generated (once, lazily awaited). */
export function createTokenIssuer(options: { key?: SigningKeyPair | undefined; issuer: string }): TokenIssuer {
  const { key, issuer } = options;
  if (key !== undefined && (!isP256(key.privateKey) || !isP256(key.publicKey))) {
    throw new TypeError('signingKey must be an ES256 (ECDSA P-256) key pair');
  }
  const ready = prepareKey(key);
  // Observed here so that a failure surfaces in the requests awaiting it, never as an unhandled rejection.
  ready.catch(() => undefined);
  return {
    async sign(subject, role, nowMs) {
      const { privateKey, kid } = await ready;
      const iat = Math.floor(nowMs / 1000);
      return new SignJWT({ role })
        .setProtectedHeader({ alg: accessTokenAlgorithm, kid, typ: 'JWT' })
        .setIssuer(issuer)
        .setSubject(subject)
        .setIssuedAt(iat)
        .setExpirationTime(iat + accessTokenLifetimeSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },
    async jwks() {
      return (await ready).jwks;
    },
  };
}

/** Options of `verifyAccessToken`: exactly one of `jwks` or `key`. */
export type VerifyAccessTokenOptions = (
  | { /** The server's JWKS (from `GET /.well-known/jwks.json`). */ jwks: JSONWebKeySet; key?: never }
  | { /** The public key (or its JWK). */ key: CryptoKey | KeyObject | JWK; jwks?: never }
) & {
  /** The clock deciding expiry. Default: the system clock. */
  clock?: Clock | undefined;
  /** The expected `iss`. Default: `urn:lumminary:reference-auth-server`. */
  issuer?: string | undefined;
};

/**
 * Verifies an access token (signature, ES256 only, `iss`, issued at or before `clock.now()` and at most
 * 30 seconds before it, not expired; no leeway) and returns its claims. Rejects with jose's errors,
 * e.g. `JWTExpired`, or `JWTClaimValidationFailed` for a token issued in the future.
 */
export async function verifyAccessToken(token: string, options: VerifyAccessTokenOptions): Promise<AccessTokenClaims> {
  const verifyOptions = {
    algorithms: [accessTokenAlgorithm],
    issuer: options.issuer ?? defaultIssuer,
    typ: 'JWT',
    currentDate: new Date((options.clock ?? systemClock).now()),
    // Valid for 30 seconds from the moment it was issued: not before `iat` (a token from the future is
    // refused, or it would outlive its 30 s), and not after `iat + 30` whatever its `exp` says.
    maxTokenAge: accessTokenLifetimeSeconds,
    requiredClaims: ['sub', 'role', 'iat', 'exp', 'jti'],
  };
  let payload: JWTPayload;
  if (options.jwks !== undefined) {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(options.jwks), verifyOptions));
  } else {
    const key = 'kty' in options.key ? await importJWK(options.key, accessTokenAlgorithm) : options.key;
    ({ payload } = await jwtVerify(token, key, verifyOptions));
  }
  const { iss, sub, role, iat, exp, jti } = payload;
  if (typeof iss !== 'string' || typeof sub !== 'string' || typeof role !== 'string' || typeof jti !== 'string') {
    throw new TypeError('The token lacks a string iss, sub, role or jti claim');
  }
  if (typeof iat !== 'number' || typeof exp !== 'number')
    throw new TypeError('The token lacks numeric iat and exp claims');
  return { iss, sub, role, iat, exp, jti };
}
