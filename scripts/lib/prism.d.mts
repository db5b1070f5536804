/** A running Prism process. */
export interface RunningPrism {
  /** Base URL, e.g. http://127.0.0.1:40123 (Prism serves the spec's paths at its root). */
  url: string;
  port: number;
  /** Stops Prism and waits for it to exit. */
  stop(): Promise<void>;
  /** The last 20 000 characters Prism printed. */
  output(): string;
}

/** Options of startPrism. */
export interface StartPrismOptions {
  /** `mock` serves the spec's examples; `proxy` validates traffic to `upstream`. */
  mode?: 'mock' | 'proxy';
  /** The server `proxy` forwards to. */
  upstream?: string;
  /** The spec file; default: the bundled spec. */
  spec?: string;
  /** Default: a free loopback port. */
  port?: number;
  /** How long to wait for Prism to answer. Default 30 000 ms. */
  readyTimeoutMs?: number;
  /** Prism's log level. Default `warn`. */
  logLevel?: string;
}

export const bundledSpecPath: string;
export function freePort(host?: string): Promise<number>;
export function startPrism(options?: StartPrismOptions): Promise<RunningPrism>;
