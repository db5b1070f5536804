/** A bundle the SDK's users ship, with its budget. */
export interface BundleEntry {
  name: string;
  /** The names imported from `@lumminary/auth-sdk`. */
  imports: string;
  /** The most gzipped bytes it may take. */
  budgetBytes: number;
}
export const bundleEntries: readonly BundleEntry[];
export function measureBundle(
  entry: Pick<BundleEntry, 'imports'>,
): Promise<{ minifiedBytes: number; gzippedBytes: number }>;
