import { describe, expect, it } from 'vitest';
import { createAuthClient } from './client.js';

describe('postJwtAuth', () => {
  it('sends the form in wire order and returns the token', async () => {
    let seen: Request | undefined;
    const auth = createAuthClient({
      baseUrl: 'https://auth.test/v1',
      fetch: async (request) => {
        seen = request as Request;
        return Response.json({ access_token: 'a.b.c' });
      },
    });
    const result = await auth.postJwtAuth({ username: 'u s', password: 'p&=', role: 'role_product', twoFactorToken: '012345' });
    expect(result.accessToken).toBe('a.b.c');
    expect(seen?.url).toBe('https://auth.test/v1/auth/jwt');
    expect(seen?.headers.get('content-type')).toBe('application/x-www-form-urlencoded');
    expect(await seen?.text()).toBe('username=u+s&password=p%26%3D&role=role_product&2FA-token=012345');
  });
});
