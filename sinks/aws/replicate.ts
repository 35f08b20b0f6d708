/**
 * START_REPLICATION on AWS (RDS), describe-then-act so a retry converges:
 * - `promote`: the shadow region's read replica becomes a standalone primary (PromoteReadReplica);
 *   an instance that is no longer a replica is already promoted and left alone.
 * - `create-replica`: a read replica of the (new) primary is created (CreateDBInstanceReadReplica),
 *   e.g. back in the old primary region; an instance of that name that already replicates from the
 *   source is taken as done, one replicating from elsewhere is a permanent error.
 * Promotions run first, then creations; each waits until its instance is `available`.
 */
import {
  AddTagsToResourceCommand,
  CreateDBInstanceReadReplicaCommand,
  type DBInstance,
  DescribeDBInstancesCommand,
  PromoteReadReplicaCommand,
  type RDSClient,
} from '@aws-sdk/client-rds';
import { permanentError } from '../framework/errors.js';
import type { Outcome } from '../framework/types.js';
import { aws, classifyAwsError, isAwsError } from './aws-errors.js';
import type { AwsDatabaseMapping } from './options.js';
import { epochOfTags, epochTags, FenceCheck, type StepContext, until } from './step.js';

async function describe(rds: RDSClient, id: string): Promise<DBInstance | undefined> {
  try {
    const res = await rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id }));
    return res.DBInstances?.[0];
  } catch (err: unknown) {
    if (isAwsError(err, 'DBInstanceNotFoundFault', 'DBInstanceNotFound')) return undefined;
    throw classifyAwsError(err, `DescribeDBInstances ${id}`);
  }
}

/** True when `source` (an identifier or an ARN) names the replica's source. */
export function replicatesFrom(db: DBInstance, source: string): boolean {
  const actual = db.ReadReplicaSourceDBInstanceIdentifier;
  if (!actual) return false;
  const id = (v: string): string => v.split(':').pop() ?? v;
  return actual === source || id(actual) === id(source);
}

function rdsFor(s: StepContext, d: AwsDatabaseMapping): RDSClient {
  return d.action === 'create-replica' && d.awsRegion ? s.clientsIn(d.awsRegion).rds : s.clients.rds;
}

async function tag(s: StepContext, rds: RDSClient, db: DBInstance): Promise<void> {
  const arn = db.DBInstanceArn;
  if (!arn) return;
  await aws(`AddTagsToResource ${db.DBInstanceIdentifier}`, () =>
    rds.send(new AddTagsToResourceCommand({ ResourceName: arn, Tags: epochTags(s.cmd) })),
  );
}

/** Ready: available and, for a promotion awaited, no longer replicating from a source. */
export function instanceReady(db: DBInstance | undefined, promoted: boolean): true | string {
  if (!db) return 'not visible yet';
  if (promoted && db.ReadReplicaSourceDBInstanceIdentifier) return `still a replica (${db.DBInstanceStatus})`;
  return db.DBInstanceStatus === 'available' ? true : `status ${db.DBInstanceStatus}`;
}

async function available(s: StepContext, rds: RDSClient, id: string, promoted: boolean): Promise<void> {
  await until(s, `RDS instance ${id}`, async () => instanceReady(await describe(rds, id), promoted));
}

async function promote(s: StepContext, d: AwsDatabaseMapping, db: DBInstance): Promise<string> {
  const rds = rdsFor(s, d);
  await tag(s, rds, db);
  if (db.ReadReplicaSourceDBInstanceIdentifier && db.DBInstanceStatus !== 'available') {
    // Busy (maybe promoting already, after an interrupted run): let it settle, then look again.
    await available(s, rds, d.dbInstanceIdentifier, false);
    return promote(s, d, (await describe(rds, d.dbInstanceIdentifier)) ?? db);
  }
  if (!db.ReadReplicaSourceDBInstanceIdentifier) {
    return `${d.dbInstanceIdentifier}: already a standalone primary`;
  }
  const source = db.ReadReplicaSourceDBInstanceIdentifier;
  await aws(`PromoteReadReplica ${d.dbInstanceIdentifier}`, () =>
    rds.send(
      new PromoteReadReplicaCommand({
        DBInstanceIdentifier: d.dbInstanceIdentifier,
        ...(d.action === 'promote' && d.backupRetentionPeriod !== undefined
          ? { BackupRetentionPeriod: d.backupRetentionPeriod }
          : {}),
      }),
    ),
  );
  await available(s, rds, d.dbInstanceIdentifier, d.action === 'promote' && d.awaitPromotion);
  return `${d.dbInstanceIdentifier}: promoted (was a replica of ${source})`;
}

async function createReplica(
  s: StepContext,
  d: Extract<AwsDatabaseMapping, { action: 'create-replica' }>,
  db: DBInstance | undefined,
): Promise<string> {
  const rds = rdsFor(s, d);
  if (db) {
    await tag(s, rds, db);
    await available(s, rds, d.dbInstanceIdentifier, false);
    return `${d.dbInstanceIdentifier}: replica of ${d.sourceDbInstanceIdentifier} already there`;
  }
  await aws(`CreateDBInstanceReadReplica ${d.dbInstanceIdentifier}`, () =>
    rds.send(
      new CreateDBInstanceReadReplicaCommand({
        DBInstanceIdentifier: d.dbInstanceIdentifier,
        SourceDBInstanceIdentifier: d.sourceDbInstanceIdentifier,
        ...(d.dbInstanceClass ? { DBInstanceClass: d.dbInstanceClass } : {}),
        ...(d.sourceRegion ? { SourceRegion: d.sourceRegion } : {}),
        Tags: epochTags(s.cmd),
      }),
    ),
  );
  await available(s, rds, d.dbInstanceIdentifier, false);
  return `${d.dbInstanceIdentifier}: replica of ${d.sourceDbInstanceIdentifier} created`;
}

export async function startReplication(s: StepContext): Promise<Outcome> {
  const dbs = s.region.databases;
  if (dbs.length === 0) return { address: s.region.awsRegion, detail: 'no databases mapped: nothing to replicate' };
  const found = new Map<AwsDatabaseMapping, DBInstance | undefined>();
  const fence = new FenceCheck(s.cmd.epoch);
  for (const d of dbs) {
    const db = await describe(rdsFor(s, d), d.dbInstanceIdentifier);
    if (d.action === 'promote' && !db) {
      throw permanentError(`RDS instance ${d.dbInstanceIdentifier} to promote not found`, {
        db: d.dbInstanceIdentifier,
      });
    }
    if (d.action === 'create-replica' && db && !replicatesFrom(db, d.sourceDbInstanceIdentifier)) {
      throw permanentError(
        `RDS instance ${d.dbInstanceIdentifier} exists but is not a replica of ${d.sourceDbInstanceIdentifier}`,
        { db: d.dbInstanceIdentifier },
      );
    }
    if (db) fence.see(`RDS instance ${d.dbInstanceIdentifier}`, epochOfTags(db.TagList));
    found.set(d, db);
  }
  const refused = fence.refusal();
  if (refused) return refused;

  const lines: string[] = [];
  for (const d of dbs) {
    const db = found.get(d);
    if (d.action === 'promote' && db) lines.push(await promote(s, d, db));
  }
  for (const d of dbs) {
    // A creation after a promotion: the source may have become a primary only just now.
    if (d.action === 'create-replica') lines.push(await createReplica(s, d, found.get(d)));
  }
  return { address: s.region.awsRegion, detail: lines.join('; ') };
}
