import type { paths } from '@lumminary/auth-sdk/spec';

/** The path of the login operation (checked against the spec's generated `paths`). */
export const jwtAuthPath = '/auth/jwt' satisfies keyof paths;
/** The reference server's key set route (not part of the API spec). */
export const jwksPath = '/.well-known/jwks.json';
