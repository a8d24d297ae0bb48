// eip_workflow.mjs - Elastic IPs through the AWS SDK for JavaScript v3 (the strictest XML
// parser): AllocateAddress with tags, DescribeAddresses by id and filter (addressesSet, tagSet),
// the second tenant's NotFound, AssociateAddress/DisassociateAddress by network interface when
// EC2GW_ENI is given, ReleaseAddress. Environment as ec2_workflow.mjs; one JSON line per check,
// non-zero exit on a failure. Run by ../test_network_addr.py.
import {
  AllocateAddressCommand,
  DescribeAddressesCommand,
  AssociateAddressCommand,
  DisassociateAddressCommand,
  ReleaseAddressCommand,
} from "@aws-sdk/client-ec2";
import { ec2, ec2b, assert, check, errorCode, exit } from "./common.mjs";

const tag = `it-js-eip-${Date.now()}`;
let alloc = null;
try {
  await check("AllocateAddress", async () => {
    alloc = await ec2.send(
      new AllocateAddressCommand({
        Domain: "vpc",
        TagSpecifications: [{ ResourceType: "elastic-ip", Tags: [{ Key: "Name", Value: tag }] }],
      }),
    );
    assert(/^eipalloc-[0-9a-f]+$/.test(alloc.AllocationId ?? ""), `AllocationId ${alloc.AllocationId}`);
    assert(alloc.Domain === "vpc", `Domain ${alloc.Domain}`);
    return { allocationId: alloc.AllocationId, publicIp: alloc.PublicIp };
  });
  await check("DescribeAddresses", async () => {
    const byId = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId] }));
    assert(byId.Addresses?.length === 1, `addresses ${JSON.stringify(byId.Addresses)}`);
    const a = byId.Addresses[0];
    assert(a.PublicIp === alloc.PublicIp, `PublicIp ${a.PublicIp}`);
    assert(a.Tags?.[0]?.Value === tag, `Tags ${JSON.stringify(a.Tags)}`);
    const byTag = await ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: "tag:Name", Values: [tag] }] }));
    assert(byTag.Addresses?.[0]?.AllocationId === alloc.AllocationId, "tag filter");
  });
  await check("isolation", async () => {
    const code = await errorCode(ec2b.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId] })));
    assert(code === "InvalidAllocationID.NotFound", `second tenant got ${code}`);
  });
  if (process.env.EC2GW_ENI) {
    await check("AssociateAddress", async () => {
      const out = await ec2.send(
        new AssociateAddressCommand({ AllocationId: alloc.AllocationId, NetworkInterfaceId: process.env.EC2GW_ENI }),
      );
      assert(/^eipassoc-/.test(out.AssociationId ?? ""), `AssociationId ${out.AssociationId}`);
      const d = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId] }));
      assert(d.Addresses[0].NetworkInterfaceId === process.env.EC2GW_ENI, "not associated");
      await ec2.send(new DisassociateAddressCommand({ AssociationId: out.AssociationId }));
    });
  }
} finally {
  if (alloc?.AllocationId) {
    await check("ReleaseAddress", async () => {
      await ec2.send(new ReleaseAddressCommand({ AllocationId: alloc.AllocationId }));
      const code = await errorCode(ec2.send(new DescribeAddressesCommand({ AllocationIds: [alloc.AllocationId] })));
      assert(code === "InvalidAllocationID.NotFound", `after release: ${code}`);
    });
  }
}
exit();
