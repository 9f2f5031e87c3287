/** The resource as the API returns it. */
export interface Medication {
  id: number;
  name: string;
  strength: number;
  unit: Unit;
  form: Form;
  notes: string | null;
  /** ISO 8601, UTC, milliseconds: `2026-12-07T20:19:47.496Z`. */
  createdAt: string;
  updatedAt: string;
}

export const UNITS = ['mg', 'mcg', 'g', 'mL', 'IU', '%'] as const;
export const FORMS = ['tablet', 'capsule', 'liquid', 'injection', 'inhaler', 'topical', 'other'] as const;
export type Unit = (typeof UNITS)[number];
export type Form = (typeof FORMS)[number];

export const NAME_MAX = 120;
export const NOTES_MAX = 2000;
/** NUMERIC(12,4): eight integer digits and four decimals. */
export const STRENGTH_MAX = 99_999_999.9999;
export const STRENGTH_DECIMALS = 4;
