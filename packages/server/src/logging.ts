import { jwksPath, jwtAuthPath } from './routes.js';

const knownPaths = new Set<string>([jwtAuthPath, jwksPath]);
const methodShape = /^[A-Z][A-Z-]{0,19}$/u;

/**
 * One request log line: method, path, status, duration. Only the method, a known path and numbers
 * are ever written (never a body, header, query string or unknown path), so no secret can leak.
 */
export function requestLogLine(method: string, path: string, status: number, ms: number, failure?: string): string {
  const shownMethod = methodShape.test(method) ? method : '(other method)';
  const shownPath = knownPaths.has(path) ? path : '(unknown path)';
  const suffix = failure === undefined ? '' : ` internal error (${/^\w{1,40}$/u.test(failure) ? failure : 'Error'})`;
  return `${shownMethod} ${shownPath} ${status} ${ms.toFixed(1)}ms${suffix}`;
}
