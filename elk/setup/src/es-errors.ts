// Reading the status code and a short reason out of whatever the Elasticsearch client threw.

export function statusOf(err: unknown): number | undefined {
  const meta = (err as { meta?: { statusCode?: unknown } } | null)?.meta;
  return typeof meta?.statusCode === 'number' ? meta.statusCode : undefined;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;

export function describe(err: unknown): string {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  // Connection errors carry status 0: there was no HTTP answer to speak of.
  return status === undefined || status === 0 ? message : `HTTP ${status}: ${message}`;
}
