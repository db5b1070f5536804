/**
 * The demo accounts of `accounts/demo-accounts.json` with their secrets in clear, as README.md
 * documents them (public, for demos and tests: never use them for anything real).
 */
export const demoCredentials = {
  /** The demo partner product: its id and API key. */
  product: {
    username: '3f8e2c1a-9b7d-4e5f-8a6b-2c4d6e8f0a1b',
    password: 'lk_live_9Qm2Xv7TzR4pN8sB3wY6cD1fH5jK0aLe',
    role: 'role_product',
  },
  /** The demo Client, with 2FA: its TOTP secret (base32, SHA-1, 6 digits, 30 s). */
  client: {
    username: 'ada.lovelace@example.org',
    password: 'correct horse battery staple',
    role: 'role_product',
    totpSecret: 'XU2APR6HYSLGJUW2IJZVYJWUD3QG2CHA',
  },
} as const;
