// A variant of the app to measure, from the command line: `label:VAR=value,VAR=value`.

export interface Variant {
  label: string;
  env: Record<string, string>;
}

/** `label:VAR=value,VAR=value`; a bare label runs the app as it is. */
export function parseVariant(spec: string, apmUrl: string): Variant {
  const [label = spec, assignments = ''] = spec.split(/:(.*)/s);
  const env = Object.fromEntries(
    assignments.split(',').filter(Boolean).map((a) => {
      const [name, value = ''] = a.split(/=(.*)/s);
      return [name!, value.replace('$APM', apmUrl)];
    }),
  );
  return { label, env };
}
