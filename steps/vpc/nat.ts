import { AllocateAddressCommand, CreateNatGatewayCommand } from '@aws-sdk/client-ec2';
import { azLetter, tagsFor, withClientToken, type Run } from './act.js';
import { tagOf } from '../../src/pipeline/step.js';
import { deleteNat, ourAddresses, ourNats, releaseAddress } from '../../src/network/egress.js';

const NAT_AZ = 'deploy-wizard:nat-az';

/**
 * A NAT gateway, with its Elastic IP, in each AZ of `wanted` (its public subnet). An Elastic IP is found by its
 * tags before one is allocated; a NAT gateway is created with a client token recorded first, so a crash right
 * after the call is followed by the same gateway, not a second one.
 */
export async function ensureNats(run: Run, vpcId: string | undefined, wanted: { az: string; subnetId?: string }[]): Promise<Map<string, string>> {
  const ctx = run.ctx;
  const nats = vpcId ? await ourNats(ctx, vpcId) : [];
  const addresses = vpcId ? await ourAddresses(ctx) : [];
  const out = new Map<string, string>();
  for (const { az, subnetId } of wanted) {
    const found = nats.find((n) => tagOf(n.Tags, NAT_AZ) === az);
    if (found) {
      out.set(az, found.NatGatewayId!);
      continue;
    }
    let allocation = addresses.find((a) => tagOf(a.Tags, NAT_AZ) === az)?.AllocationId;
    allocation ??= await run.change(`allocate an Elastic IP for the NAT gateway in ${az}`, async () => {
      const res = await ctx.aws.ec2.send(
        new AllocateAddressCommand({
          Domain: 'vpc',
          TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: tagsFor(ctx, `nat-${azLetter(az)}`, { [NAT_AZ]: az }) }],
        }),
      );
      return res.AllocationId!;
    });
    const id = await run.change(`create NAT gateway in ${az}`, () =>
      withClientToken(ctx, `nat:${az}`, async (token) => {
        const res = await ctx.aws.ec2.send(
          new CreateNatGatewayCommand({
            SubnetId: subnetId,
            AllocationId: allocation,
            ConnectivityType: 'public',
            ClientToken: token,
            TagSpecifications: [{ ResourceType: 'natgateway', Tags: tagsFor(ctx, `nat-${azLetter(az)}`, { [NAT_AZ]: az }) }],
          }),
        );
        return res.NatGateway!.NatGatewayId!;
      }),
    );
    out.set(az, id ?? '(new NAT gateway)');
  }
  return out;
}

/** NAT gateways and Elastic IPs of ours in AZs no longer wanted (nat "per-az" → "single" → "none"): deleted after the routes moved off them. */
export async function removeUnwantedNats(run: Run, vpcId: string, keepAzs: readonly string[]): Promise<void> {
  const ctx = run.ctx;
  for (const n of await ourNats(ctx, vpcId)) {
    const az = tagOf(n.Tags, NAT_AZ);
    if (az && keepAzs.includes(az)) continue;
    await run.change(`delete NAT gateway ${n.NatGatewayId} in ${az ?? n.SubnetId} (no longer wanted)`, () => deleteNat(ctx, n.NatGatewayId!));
  }
  for (const a of await ourAddresses(ctx)) {
    const az = tagOf(a.Tags, NAT_AZ);
    if (az && keepAzs.includes(az)) continue;
    await run.change(`release Elastic IP ${a.PublicIp} (its NAT gateway is gone)`, () => releaseAddress(ctx, a.AllocationId!));
  }
}
