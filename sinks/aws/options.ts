/**
 * The AWS actuator's configuration, validated with zod at start-up: per primary region (the
 * failover command's subject) the AWS region its shadow runs in and the mapping of the region's
 * blueprint onto AWS resources — blueprint service → Auto Scaling group or launch template,
 * security group, ports, dependencies and load-balancer pools; LB pool → target group; DNS names →
 * Route 53 record sets; databases → RDS instances to promote or replicas to create. A bad file is
 * refused with every problem named by its field path (`regions.eu-west.services.api: ...`).
 */
import { z } from 'zod';
import { ConfigError } from '../../streams/runtime/errors.js';

const port = z.number().int().min(1).max(65535);
const cidr = z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'not a CIDR block (e.g. 10.0.0.0/16)');

/** Instances of a launch template, for a service without an Auto Scaling group. */
const launchTemplateSchema = z
  .object({
    launchTemplateId: z.string().min(1).optional(),
    launchTemplateName: z.string().min(1).optional(),
    /** `$Default`, `$Latest` or a version number. */
    version: z.string().default('$Default'),
    /** Subnet to launch into (the template's own, or the default VPC's, when absent). */
    subnetId: z.string().min(1).optional(),
  })
  .refine((t) => (t.launchTemplateId === undefined) !== (t.launchTemplateName === undefined), {
    message: 'give exactly one of launchTemplateId or launchTemplateName',
  });

const serviceSchema = z
  .object({
    /** The service's Auto Scaling group in the shadow region: LAUNCH sets its desired capacity. */
    autoScalingGroup: z.string().min(1).optional(),
    /** Or: LAUNCH runs this many instances of a launch template (tagged, so a retry counts them). */
    launchTemplate: launchTemplateSchema.optional(),
    /** The blueprint's ports of the service: opened to its dependents and `ingressCidrs`. */
    ports: z.array(port).default([]),
    /** The blueprint's dependencies (services of this region's mapping). */
    dependsOn: z.array(z.string().min(1)).default([]),
    /** Security group of the service's instances (CONFIGURE_NETWORKING adds its ingress rules). */
    securityGroupId: z.string().min(1).optional(),
    /** Extra sources allowed to reach the service's ports (a load balancer's subnets, ...). */
    ingressCidrs: z.array(cidr).default([]),
    /** The blueprint's LB pools (keys of `targetGroups`): REDIRECT registers the instances there. */
    lbPools: z.array(z.string().min(1)).default([]),
  })
  .refine((s) => !(s.autoScalingGroup && s.launchTemplate), {
    message: 'give autoScalingGroup or launchTemplate, not both',
  });
export type AwsServiceMapping = z.infer<typeof serviceSchema>;

const targetGroupSchema = z.object({
  /** Target group name (AWS allows 32 characters: letters, digits, hyphens). */
  name: z
    .string()
    .regex(
      /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/,
      'up to 32 letters, digits or hyphens, no hyphen at the ends',
    ),
  vpcId: z.string().min(1),
  port,
  protocol: z.enum(['HTTP', 'HTTPS', 'TCP', 'TLS', 'UDP', 'TCP_UDP']).default('HTTP'),
  healthCheckPath: z.string().startsWith('/').optional(),
});
export type AwsTargetGroupMapping = z.infer<typeof targetGroupSchema>;

const healthCheckSchema = z
  .object({
    type: z.enum(['HTTP', 'HTTPS', 'TCP']).default('HTTP'),
    ipAddress: z.string().min(1).optional(),
    fqdn: z.string().min(1).optional(),
    port,
    resourcePath: z.string().startsWith('/').optional(),
    requestInterval: z.union([z.literal(10), z.literal(30)]).default(30),
    failureThreshold: z.number().int().min(1).max(10).default(3),
  })
  .refine((h) => h.ipAddress !== undefined || h.fqdn !== undefined, { message: 'give ipAddress or fqdn' });
export type AwsHealthCheck = z.infer<typeof healthCheckSchema>;

const recordSchema = z
  .object({
    hostedZoneId: z.string().min(1),
    /** Fully qualified name, e.g. api.example.com (a trailing dot is optional). */
    name: z.string().min(1),
    type: z.enum(['A', 'AAAA', 'CNAME']),
    ttl: z.number().int().min(0).default(60),
    /**
     * failover: the shadow's record becomes PRIMARY (with the health check), the old primary's
     * SECONDARY; weighted: the shadow's record gets `shadowWeight`, the old primary's weight 0.
     */
    routing: z.enum(['failover', 'weighted']),
    /** Values answering for the shadow region (its load balancer's address, ...). */
    shadowValues: z.array(z.string().min(1)).min(1),
    /** Values of the old primary region's record set (required for failover routing). */
    primaryValues: z.array(z.string().min(1)).default([]),
    shadowSetIdentifier: z.string().min(1).default('foreshadow-shadow'),
    primarySetIdentifier: z.string().min(1).default('foreshadow-primary'),
    shadowWeight: z.number().int().min(0).max(255).default(100),
    /** A Route 53 health check created (once) for the shadow's record. */
    healthCheck: healthCheckSchema.optional(),
    /** Or an existing health check's id. */
    healthCheckId: z.string().min(1).optional(),
    /** Keep the epoch in TXT `_foreshadow-epoch.<name>` and change the records only if it is unchanged. */
    fence: z.boolean().default(true),
  })
  .refine((r) => r.routing !== 'failover' || r.primaryValues.length > 0, {
    message: 'failover routing needs primaryValues (the old primary becomes the SECONDARY record)',
    path: ['primaryValues'],
  })
  .refine((r) => !(r.healthCheck && r.healthCheckId), { message: 'give healthCheck or healthCheckId, not both' });
export type AwsRecordMapping = z.infer<typeof recordSchema>;

const databaseSchema = z.discriminatedUnion('action', [
  z.object({
    /** Promote the shadow region's read replica to a standalone primary. */
    action: z.literal('promote'),
    dbInstanceIdentifier: z.string().min(1),
    backupRetentionPeriod: z.number().int().min(0).max(35).optional(),
    /**
     * Wait until RDS reports the instance without a replication source (the promotion is done).
     * false: return once RDS accepted the promotion and the instance is available — for an
     * emulator that never clears the source (moto 5.2 keeps ReadReplicaSourceDBInstanceIdentifier).
     */
    awaitPromotion: z.boolean().default(true),
  }),
  z.object({
    /** Create a read replica of `sourceDbInstanceIdentifier` (e.g. the promoted primary). */
    action: z.literal('create-replica'),
    dbInstanceIdentifier: z.string().min(1),
    /** An identifier in the same AWS region, or an ARN for a cross-region replica. */
    sourceDbInstanceIdentifier: z.string().min(1),
    dbInstanceClass: z.string().min(1).optional(),
    /** AWS region the replica is created in (default: the mapping's `awsRegion`). */
    awsRegion: z.string().min(1).optional(),
    /** The source's AWS region, for a cross-region replica (the SDK presigns the request). */
    sourceRegion: z.string().min(1).optional(),
  }),
]);
export type AwsDatabaseMapping = z.infer<typeof databaseSchema>;

const regionSchema = z.object({
  /** AWS region the shadow runs in (e.g. eu-central-1). */
  awsRegion: z.string().min(1),
  /** When set, a command naming another shadow region is refused (permanent failure). */
  shadowRegion: z.string().min(1).optional(),
  /** ASG name for a service with no entry in `services`, `{service}` replaced (e.g. shadow-{service}). */
  autoScalingGroupPattern: z.string().includes('{service}').optional(),
  services: z.record(z.string().min(1), serviceSchema).default({}),
  /** LB pool name → target group, ensured by CONFIGURE_NETWORKING. */
  targetGroups: z.record(z.string().min(1), targetGroupSchema).default({}),
  records: z.array(recordSchema).default([]),
  /** Promotions run first, then replica creations, each in the order given. */
  databases: z.array(databaseSchema).default([]),
});
export type AwsRegionMapping = z.infer<typeof regionSchema>;

export const awsProviderOptionsSchema = z
  .object({
    name: z.string().min(1).default('aws'),
    /** For an emulator only (moto, LocalStack); real AWS takes the SDK's own endpoints. */
    endpoint: z.string().url().optional(),
    /** The SDK's own attempts per call (throttling, 5xx) before the actuator's retry policy. */
    sdkMaxAttempts: z.number().int().min(1).max(10).default(3),
    /** LAUNCH (start), RDS promotion and Route 53 change: longest wait for the resource to be ready. */
    readyTimeoutMs: z.number().int().positive().default(600_000),
    pollIntervalMs: z.number().int().positive().default(5_000),
    /** Primary region (the command's subject) → its shadow's AWS mapping. */
    regions: z.record(z.string().min(1), regionSchema),
  })
  .superRefine((o, ctx) => {
    if (Object.keys(o.regions).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['regions'], message: 'map at least one primary region' });
    }
    for (const [region, r] of Object.entries(o.regions)) {
      for (const [service, s] of Object.entries(r.services)) {
        const at = ['regions', region, 'services', service];
        for (const dep of s.dependsOn) {
          if (!r.services[dep]) {
            ctx.addIssue({ code: 'custom', path: [...at, 'dependsOn'], message: `unknown service "${dep}"` });
          }
        }
        for (const pool of s.lbPools) {
          if (!r.targetGroups[pool]) {
            ctx.addIssue({
              code: 'custom',
              path: [...at, 'lbPools'],
              message: `no target group for LB pool "${pool}"`,
            });
          }
        }
        if (s.ingressCidrs.length > 0 && !s.securityGroupId) {
          ctx.addIssue({
            code: 'custom',
            path: [...at, 'securityGroupId'],
            message: 'ingressCidrs need a security group',
          });
        }
      }
    }
  });
export type AwsProviderOptions = z.input<typeof awsProviderOptionsSchema>;
export type AwsProviderConfig = z.infer<typeof awsProviderOptionsSchema>;

/** Validates the options, naming every bad field in one ConfigError. */
export function parseAwsOptions(options: unknown): AwsProviderConfig {
  const parsed = awsProviderOptionsSchema.safeParse(options);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new ConfigError(`invalid AWS actuator config: ${problems.join('; ')}`, { problems });
  }
  return parsed.data;
}

/** The service's mapping: explicit, or an ASG named by the region's pattern, or none. */
export function serviceMapping(r: AwsRegionMapping, service: string): AwsServiceMapping | undefined {
  const explicit = r.services[service];
  if (explicit && (explicit.autoScalingGroup || explicit.launchTemplate)) return explicit;
  if (r.autoScalingGroupPattern) {
    const base = explicit ?? serviceSchema.parse({});
    return { ...base, autoScalingGroup: r.autoScalingGroupPattern.replaceAll('{service}', service) };
  }
  return undefined;
}
