/** How one service (RDS, ElastiCache) reads, creates and changes a subnet group; the convergence is the same. */
export interface SubnetGroupApi {
  /** The group's subnet ids, or undefined when there is no group of that name. */
  find(): Promise<string[] | undefined>;
  create(subnetIds: string[]): Promise<unknown>;
  modify(subnetIds: string[]): Promise<unknown>;
}

/**
 * Makes the named subnet group hold exactly these subnets. Looked up first:
 * CreateDBSubnetGroup on some emulators silently overwrites, and a re-run
 * with the same subnets must make no call that changes anything.
 */
export async function convergeSubnetGroup(name: string, subnetIds: readonly string[], api: SubnetGroupApi): Promise<string> {
  const want = [...subnetIds].sort();
  const have = await api.find();
  if (!have) await api.create(want);
  else if ([...have].sort().join() !== want.join()) await api.modify(want);
  return name;
}

/**
 * Why the config would move a data store that exists to another network, or undefined. A database or cache
 * cannot change VPC, nor leave every subnet it sits in, without being made again (and its data lost): the
 * plan refuses it before anything changes, and says how to move instead. Only what the config states is
 * compared: with the default VPC and its discovered subnets nothing moves.
 */
export function dataMoveProblem(
  what: string,
  have: { vpcId?: string; subnetIds: readonly string[] },
  network: { vpc?: string; vpcId?: string; subnetIds?: string[]; privateSubnetIds?: string[]; dataSubnetIds?: string[] } | undefined,
): string | undefined {
  const vpc = network?.vpcId ?? (network?.vpc && network.vpc !== 'default' ? network.vpc : undefined);
  const key = network?.dataSubnetIds ? 'dataSubnetIds' : network?.privateSubnetIds ? 'privateSubnetIds' : 'subnetIds';
  const want = network?.dataSubnetIds ?? network?.privateSubnetIds ?? network?.subnetIds;
  const otherVpc = !!vpc && !!have.vpcId && vpc !== have.vpcId;
  const left = !!want && !have.subnetIds.some((s) => want.includes(s));
  if (!otherVpc && !left) return undefined;
  return (
    `network.${otherVpc ? 'vpcId' : key}: ${what} sits in ${have.vpcId ?? 'its VPC'} (${have.subnetIds.join(', ')}); ` +
    `the config moves it to ${otherVpc ? vpc : want!.join(', ')}, which would make it again, empty. ` +
    `To move it: deploy the new network as a new env (--env), move the data there (pg_dump and pg_restore, or restore a snapshot), ` +
    `then point the app at it; or keep network.${otherVpc ? 'vpcId' : key} as it was`
  );
}
