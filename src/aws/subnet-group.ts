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

type NetworkKeys = { vpc?: string; vpcId?: string; subnetIds?: string[]; privateSubnetIds?: string[]; dataSubnetIds?: string[] };

/**
 * Where the config puts the database and cache, and by which key: the data tier, else the private one, else
 * the subnets given; undefined when the config names none (the default VPC's, found by the network step).
 */
function configuredDataSubnets(network: NetworkKeys | undefined): { key: string; ids: string[] } | undefined {
  if (network?.dataSubnetIds) return { key: 'dataSubnetIds', ids: network.dataSubnetIds };
  if (network?.privateSubnetIds) return { key: 'privateSubnetIds', ids: network.privateSubnetIds };
  if (network?.subnetIds) return { key: 'subnetIds', ids: network.subnetIds };
  return undefined;
}

/**
 * Why the config would move a data store that exists to another network, or undefined. A database or cache
 * cannot change VPC, nor leave every subnet it sits in, without being made again (and its data lost): the
 * preflight refuses it before anything changes, and says how to move instead. Only what the config states is
 * compared: with the default VPC and its discovered subnets nothing moves. Read from the store's subnet group
 * (RDS's and ElastiCache's have the same shape); `exists` is asked only when the group would move, so a
 * subnet group a failed run left without its store is converged as usual.
 */
export async function dataMoveProblem(
  what: string,
  group: { VpcId?: string; Subnets?: { SubnetIdentifier?: string }[] } | undefined,
  network: NetworkKeys | undefined,
  exists: () => Promise<unknown>,
  ownVpc: () => Promise<string | undefined>,
): Promise<string[]> {
  if (!group) return [];
  const have = { vpcId: group.VpcId, subnetIds: (group.Subnets ?? []).map((s) => s.SubnetIdentifier!) };
  // network.vpc "create": the store must already sit in the VPC the wizard made for this env.
  const created = network?.vpc === 'create';
  const vpc = created ? ((await ownVpc()) ?? 'a new VPC') : (network?.vpcId ?? (network?.vpc && network.vpc !== 'default' ? network.vpc : undefined));
  const want = created ? undefined : configuredDataSubnets(network);
  const otherVpc = !!vpc && !!have.vpcId && vpc !== have.vpcId;
  const left = !!want && !have.subnetIds.some((s) => want.ids.includes(s));
  if ((!otherVpc && !left) || !(await exists())) return [];
  const key = otherVpc ? (created || network?.vpcId === undefined ? 'vpc' : 'vpcId') : want!.key;
  return [
    `network.${key}: ${what} sits in ${have.vpcId ?? 'its VPC'} (${have.subnetIds.join(', ')}); ` +
      `the config moves it to ${otherVpc ? vpc : want!.ids.join(', ')}, which would make it again, empty. ` +
      `To move it: deploy the new network as a new env (--env), move the data there (pg_dump and pg_restore, or restore a snapshot), ` +
      `then point the app at it; or keep network.${key} as it was`,
  ];
}
