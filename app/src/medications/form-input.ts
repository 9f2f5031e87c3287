import type { FormValues } from './medication-page';

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const FIELDS = ['name', 'strength', 'unit', 'form', 'notes'] as const;

/** Keeps exactly what was typed, for re-rendering; a repeated field counts as not a string. */
export function formValues(body: unknown): FormValues {
  const source = (body ?? {}) as Record<string, unknown>;
  const values: FormValues = {};
  for (const field of FIELDS) {
    const v = source[field];
    if (typeof v === 'string') values[field] = v;
  }
  return values;
}

/**
 * HTML forms only send strings; this turns them into the JSON shape the API validates,
 * so the page and the API share one set of rules. Empty optional fields mean "not given".
 */
export function formToInput(body: unknown): Record<string, unknown> {
  const source = (body ?? {}) as Record<string, unknown>;
  const input: Record<string, unknown> = {};
  for (const field of FIELDS) {
    const v = source[field];
    if (v === undefined || v === '') continue;
    input[field] = v;
  }
  const strength = input.strength;
  if (typeof strength === 'string' && NUMBER.test(strength.trim())) input.strength = Number(strength.trim());
  if (source.notes === '') input.notes = null;
  return input;
}
