import { z } from 'zod';
import { FORMS, NAME_MAX, NOTES_MAX, STRENGTH_DECIMALS, STRENGTH_MAX, UNITS, type Form, type Unit } from './medication';

/** One problem with the input: a JSON Pointer into the body (as RFC 9457's examples use) or a query parameter. */
export type FieldError = { pointer: string; detail: string } | { parameter: string; detail: string };

export interface MedicationInput {
  name: string;
  strength: number;
  unit: Unit;
  form: Form;
  notes: string | null;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

const SERVER_FIELDS = new Set(['id', 'createdAt', 'updatedAt', 'created_at', 'updated_at']);
// C0/C1 controls other than tab, newline and carriage return; Postgres also rejects NUL outright.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/;
const LINE_BREAK = /[\r\n\t]/;

const typed = (kind: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? 'is required' : `must be ${kind}`;

const codePoints = (s: string) => [...s].length;

const wellFormedText = (max: number, allowLineBreaks: boolean) =>
  z
    .string({ error: typed('a string') })
    .refine((s) => s.isWellFormed(), 'must be valid Unicode text')
    .refine((s) => !CONTROL.test(s) && (allowLineBreaks || !LINE_BREAK.test(s)), 'must not contain control characters')
    .refine((s) => codePoints(s) <= max, `must be at most ${max} characters`);

const fields = {
  name: wellFormedText(NAME_MAX, false)
    .transform((s) => s.trim())
    .refine((s) => s.length > 0, 'must not be blank'),
  strength: z
    .number({ error: typed('a number') })
    .gt(0, 'must be greater than 0')
    .lte(STRENGTH_MAX, `must be at most ${STRENGTH_MAX}`)
    .refine((n) => Number(n.toFixed(STRENGTH_DECIMALS)) === n, `must have at most ${STRENGTH_DECIMALS} decimal places`),
  unit: z.enum(UNITS, { error: (i) => (i.input === undefined ? 'is required' : `must be one of ${UNITS.join(', ')}`) }),
  form: z.enum(FORMS, { error: (i) => (i.input === undefined ? 'is required' : `must be one of ${FORMS.join(', ')}`) }),
  notes: wellFormedText(NOTES_MAX, true).nullable(),
};

const createSchema = z.strictObject({ ...fields, form: fields.form.default('other'), notes: fields.notes.default(null) });
const patchSchema = z.strictObject({
  name: fields.name.optional(),
  strength: fields.strength.optional(),
  unit: fields.unit.optional(),
  form: fields.form.optional(),
  notes: fields.notes.optional(),
});

function toFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({
        pointer: `#/${key}`,
        detail: SERVER_FIELDS.has(key) ? 'is set by the server and cannot be supplied' : 'is not a known field',
      }));
    }
    if (issue.path.length === 0) return [{ pointer: '#', detail: 'the body must be a JSON object' }];
    return [{ pointer: `#/${issue.path.join('/')}`, detail: issue.message }];
  });
}

function validate<T>(schema: z.ZodType<T>, body: unknown): Validated<T> {
  const parsed = schema.safeParse(body);
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, errors: toFieldErrors(parsed.error) };
}

export const validateCreate = (body: unknown): Validated<MedicationInput> => validate(createSchema, body);

export function validatePatch(body: unknown): Validated<Partial<MedicationInput>> {
  const result = validate(patchSchema, body);
  if (result.ok && Object.keys(result.value).length === 0) {
    return { ok: false, errors: [{ pointer: '#', detail: 'name at least one field to change' }] };
  }
  return result;
}
