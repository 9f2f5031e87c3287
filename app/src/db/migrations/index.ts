import type { Migration } from '../migrate';
import * as createMedications from './0001-create-medications';

/** Every migration, in order. An explicit list keeps the compiled image free of glob lookups. */
export const migrations: Migration[] = [createMedications];
