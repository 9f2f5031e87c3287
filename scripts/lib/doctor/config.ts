// The doctor's settings. The region and the instance type are taken as given and judged
// by their checks, so a bad value is one failed line among the others, not a stop.
import { z } from 'zod';
import { commonFields, flagSchema, parseConfig, type Command, type Fields, type Sources } from '../core/config.js';
import { DEFAULT_INSTANCE_TYPE } from '../core/pricing.js';
import { provisionFields } from '../provision/config.js';

export const doctorFields = {
  region: commonFields.region,
  instanceType: provisionFields.instanceType,
  json: commonFields.json,
  debug: commonFields.debug,
  help: commonFields.help,
} satisfies Fields;

const doctorSchema = z.object({
  region: z.string().min(1).optional(),
  instanceType: z.string().min(1).default(DEFAULT_INSTANCE_TYPE),
  json: flagSchema.default(false),
  debug: flagSchema.default(false),
  help: flagSchema.default(false),
});

export type DoctorConfig = z.infer<typeof doctorSchema>;

export const loadDoctorConfig = (sources: Sources): DoctorConfig => parseConfig(doctorFields, doctorSchema, sources);

export const doctorCommand: Command = {
  name: 'doctor',
  summary:
    'Checks Node, git, AWS CLI v2 and its Session Manager plugin, the region and credentials, the default VPC, the instance type and your own permissions, one line each with the fix.',
  fields: doctorFields,
};
