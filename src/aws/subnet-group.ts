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
