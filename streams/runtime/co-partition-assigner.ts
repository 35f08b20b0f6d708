/**
 * Consumer-group assignor for co-partitioned topologies: partition N of every source topic goes to
 * the same member, because one task (partition N) owns the stores joining those topics. Members
 * are ordered by id and tasks dealt round-robin, so the split is even (6 partitions, 2 members: 3+3).
 */
import kafkajs, { type PartitionAssigner } from 'kafkajs';

// kafkajs is CommonJS: its protocol helpers are reachable only through the default export.
const { AssignerProtocol } = kafkajs;

export const CO_PARTITIONED_ASSIGNER = 'foreshadow-co-partitioned';

export const coPartitionedAssigner: PartitionAssigner = ({ cluster }) => ({
  name: CO_PARTITIONED_ASSIGNER,
  version: 1,
  protocol({ topics }) {
    return {
      name: CO_PARTITIONED_ASSIGNER,
      metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }),
    };
  },
  async assign({ members, topics }) {
    const ids = members.map((m) => m.memberId).sort();
    const plan = new Map<string, Record<string, number[]>>(ids.map((id) => [id, {}]));
    for (const topic of topics) {
      const partitions = cluster
        .findTopicPartitionMetadata(topic)
        .map((p) => p.partitionId)
        .sort((a, b) => a - b);
      for (const p of partitions) {
        const member = ids[p % ids.length];
        if (member === undefined) continue;
        const a = plan.get(member)!;
        const list = a[topic] ?? [];
        list.push(p);
        a[topic] = list;
      }
    }
    return ids.map((memberId) => ({
      memberId,
      memberAssignment: AssignerProtocol.MemberAssignment.encode({
        version: 1,
        assignment: plan.get(memberId)!,
        userData: Buffer.alloc(0),
      }),
    }));
  },
});
