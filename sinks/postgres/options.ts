/**
 * The PostgreSQL actuator's options (postgres-provider.ts), apart from the provider so a
 * configuration check can validate them without loading the pg client.
 */
import { z } from 'zod';

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

export const postgresTargetSchema = z.object({
  /** host:port of the standby in that region. */
  address: z.string().min(1),
  database: z.string().min(1).default('postgres'),
  user: z.string().min(1).default('postgres'),
  /** Environment variable holding the password (none: trust or peer authentication). */
  passwordEnv: z.string().optional(),
  /** START_REPLICATION creates this physical replication slot for the old region to re-join. */
  rejoinSlot: z.string().regex(IDENTIFIER, 'a lower-case SQL identifier').optional(),
});
export type PostgresTarget = z.infer<typeof postgresTargetSchema>;

export const postgresProviderOptionsSchema = z.object({
  name: z.string().default('postgres'),
  /** service → shadow region → the standby there. */
  services: z.record(z.string(), z.record(z.string(), postgresTargetSchema)).default({}),
  /** How long `pg_promote()` may wait for the promotion to finish. */
  promoteTimeoutS: z.number().int().positive().max(3_600).default(60),
  connectTimeoutMs: z.number().int().positive().default(5_000),
  /** Schema of the fencing table (created on the new primary). */
  fenceSchema: z.string().regex(IDENTIFIER, 'a lower-case SQL identifier').default('foreshadow'),
});
export type PostgresProviderOptions = z.input<typeof postgresProviderOptionsSchema>;
