import { AssignerProtocol, Kafka, logLevel } from 'kafkajs';

/**
 * The partitions each member of a consumer group holds now, by member id, with the group's
 * state ('Stable' once a rebalance is over): tests wait for partitions to be where they need.
 */
export async function groupAssignment(
  brokers: string[],
  groupId: string,
): Promise<{ state: string; members: Record<string, number[]> }> {
  const admin = new Kafka({
    brokers,
    clientId: 'group-reader',
    logLevel: logLevel.NOTHING,
  }).admin();
  await admin.connect();
  try {
    const { groups } = await admin.describeGroups([groupId]);
    const group = groups[0];
    const members: Record<string, number[]> = {};
    for (const member of group?.members ?? []) {
      const assignment = AssignerProtocol.MemberAssignment.decode(member.memberAssignment);
      members[member.memberId] = Object.values(assignment?.assignment ?? {}).flat();
    }
    return { state: group?.state ?? 'Dead', members };
  } finally {
    await admin.disconnect();
  }
}
