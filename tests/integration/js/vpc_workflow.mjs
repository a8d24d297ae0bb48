// vpc_workflow.mjs - the two-tier VPC of ../test_vpc.py through the AWS SDK for JavaScript v3
// (the strictest XML parser): CreateVpc, two subnets, an internet gateway attached, a public
// route table 0.0.0.0/0 -> IGW associated to one subnet, a network interface with two private
// addresses, an instance in each subnet, an Elastic IP on the public one; every Describe by id
// and filter; the second tenant's NotFound; teardown in Terraform's order, each object gone.
// EC2GW_VPC_CIDR (a /16) as the VPC's block. One JSON line per check (and one "ids" line for
// the Python side's Neutron check); non-zero exit on a failure. Run by ../test_vpc.py.
import {
  AllocateAddressCommand,
  AssociateAddressCommand,
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateNetworkInterfaceCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteNetworkInterfaceCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeAddressesCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  ReleaseAddressCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
  waitUntilInstanceRunning,
  waitUntilInstanceTerminated,
} from "@aws-sdk/client-ec2";
import { ec2, ec2b, env, assert, check, errorCode, sleep, exit } from "./common.mjs";

const cidr = env("EC2GW_VPC_CIDR");
const [a, b] = cidr.split(".");
const pubCidr = `${a}.${b}.1.0/24`;
const privCidr = `${a}.${b}.2.0/24`;
const ips = [`${a}.${b}.2.10`, `${a}.${b}.2.11`];
const tag = `it-js-vpc-${Date.now()}`;
const named = (type, name) => [{ ResourceType: type, Tags: [{ Key: "Name", Value: name }] }];
const filter = (Name, v) => ({ Filters: [{ Name, Values: [v] }] });
const s = {}; // what was made: vpc, pub, priv, igw, attached, rtb, assoc, eni, instances, alloc

// Terraform retries DependencyViolation while Nova deletes a terminated server's ports.
async function retryDependency(fn, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (e?.name !== "DependencyViolation" || Date.now() > deadline) throw e;
      await sleep(3000);
    }
  }
}

try {
  await check("CreateVpc", async () => {
    const v = (await ec2.send(new CreateVpcCommand({ CidrBlock: cidr, TagSpecifications: named("vpc", tag) }))).Vpc;
    s.vpc = v.VpcId;
    assert(/^vpc-[0-9a-f]+$/.test(v.VpcId ?? ""), `VpcId ${v.VpcId}`);
    assert(v.CidrBlock === cidr && v.IsDefault === false, JSON.stringify(v));
    return { vpc: s.vpc };
  });
  await check("CreateSubnet x2", async () => {
    for (const [k, c] of [["pub", pubCidr], ["priv", privCidr]]) {
      const sn = (
        await ec2.send(
          new CreateSubnetCommand({ VpcId: s.vpc, CidrBlock: c, TagSpecifications: named("subnet", `${tag}-${k}`) }),
        )
      ).Subnet;
      s[k] = sn.SubnetId;
      assert(/^subnet-[0-9a-f]+$/.test(sn.SubnetId ?? ""), `SubnetId ${sn.SubnetId}`);
      assert(sn.VpcId === s.vpc && sn.CidrBlock === c && sn.State === "available", JSON.stringify(sn));
    }
  });
  await check("CreateInternetGateway + Attach", async () => {
    const g = (await ec2.send(new CreateInternetGatewayCommand({ TagSpecifications: named("internet-gateway", tag) })))
      .InternetGateway;
    s.igw = g.InternetGatewayId;
    await ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId: s.igw, VpcId: s.vpc }));
    s.attached = true;
  });
  await check("CreateRouteTable + CreateRoute + Associate", async () => {
    const r = (await ec2.send(new CreateRouteTableCommand({ VpcId: s.vpc }))).RouteTable;
    s.rtb = r.RouteTableId;
    assert(r.Routes?.length === 1 && r.Routes[0].GatewayId === "local", JSON.stringify(r.Routes));
    const cr = await ec2.send(
      new CreateRouteCommand({ RouteTableId: s.rtb, DestinationCidrBlock: "0.0.0.0/0", GatewayId: s.igw }),
    );
    assert(cr.Return === true, `CreateRoute Return ${cr.Return}`);
    s.assoc = (await ec2.send(new AssociateRouteTableCommand({ RouteTableId: s.rtb, SubnetId: s.pub }))).AssociationId;
    assert(/^rtbassoc-[0-9a-f]+$/.test(s.assoc ?? ""), `AssociationId ${s.assoc}`);
  });
  await check("CreateNetworkInterface (two private addresses)", async () => {
    const e = (
      await ec2.send(
        new CreateNetworkInterfaceCommand({
          SubnetId: s.priv,
          Description: tag,
          PrivateIpAddresses: [
            { PrivateIpAddress: ips[0], Primary: true },
            { PrivateIpAddress: ips[1], Primary: false },
          ],
        }),
      )
    ).NetworkInterface;
    s.eni = e.NetworkInterfaceId;
    assert(e.PrivateIpAddress === ips[0] && e.VpcId === s.vpc, JSON.stringify(e));
    const got = (e.PrivateIpAddresses ?? []).map((x) => `${x.PrivateIpAddress}:${x.Primary}`);
    assert(JSON.stringify(got) === JSON.stringify([`${ips[0]}:true`, `${ips[1]}:false`]), `addresses ${got}`);
  });
  await check("RunInstances in each subnet", async () => {
    const img = await ec2.send(new DescribeImagesCommand(filter("name", "cirros-fake")));
    assert(img.Images?.length, "no cirros-fake image");
    s.instances = {};
    for (const k of ["pub", "priv"]) {
      const r = await ec2.send(
        new RunInstancesCommand({
          ImageId: img.Images[0].ImageId,
          InstanceType: "m1.tiny",
          MinCount: 1,
          MaxCount: 1,
          SubnetId: s[k],
        }),
      );
      s.instances[k] = r.Instances[0].InstanceId;
    }
    const ids = Object.values(s.instances);
    await waitUntilInstanceRunning({ client: ec2, maxWaitTime: 300, minDelay: 2 }, { InstanceIds: ids });
    const d = await ec2.send(new DescribeInstancesCommand(filter("vpc-id", s.vpc)));
    const inst = Object.fromEntries(d.Reservations.flatMap((r) => r.Instances).map((i) => [i.InstanceId, i]));
    assert(Object.keys(inst).sort().join() === ids.sort().join(), `vpc-id filter: ${Object.keys(inst)}`);
    for (const k of ["pub", "priv"]) {
      const i = inst[s.instances[k]];
      assert(i.VpcId === s.vpc && i.SubnetId === s[k], `${k}: ${i.VpcId} ${i.SubnetId}`);
    }
    s.webEni = inst[s.instances.pub].NetworkInterfaces?.[0]?.NetworkInterfaceId;
  });
  await check("Elastic IP on the public instance", async () => {
    const al = await ec2.send(new AllocateAddressCommand({ Domain: "vpc" }));
    s.alloc = al.AllocationId;
    await ec2.send(new AssociateAddressCommand({ AllocationId: s.alloc, InstanceId: s.instances.pub }));
    const d = await ec2.send(new DescribeAddressesCommand({ AllocationIds: [s.alloc] }));
    assert(d.Addresses[0].InstanceId === s.instances.pub, JSON.stringify(d.Addresses));
    s.publicIp = al.PublicIp;
  });
  await check("DescribeVpcs", async () => {
    const v = (await ec2.send(new DescribeVpcsCommand({ VpcIds: [s.vpc] }))).Vpcs[0];
    assert(v.State === "available" && v.CidrBlock === cidr && v.DhcpOptionsId === "default", JSON.stringify(v));
    assert(v.Tags?.[0]?.Value === tag, `Tags ${JSON.stringify(v.Tags)}`);
    for (const [f, val] of [["vpc-id", s.vpc], ["cidr", cidr], ["tag:Name", tag]]) {
      const got = (await ec2.send(new DescribeVpcsCommand(filter(f, val)))).Vpcs.map((x) => x.VpcId);
      assert(got.join() === s.vpc, `${f}: ${got}`);
    }
  });
  await check("DescribeSubnets", async () => {
    const got = (await ec2.send(new DescribeSubnetsCommand(filter("vpc-id", s.vpc)))).Subnets;
    assert(got.map((x) => x.SubnetId).sort().join() === [s.pub, s.priv].sort().join(), "vpc-id filter");
    const one = (await ec2.send(new DescribeSubnetsCommand(filter("cidr-block", pubCidr)))).Subnets;
    assert(one.length === 1 && one[0].SubnetId === s.pub, "cidr-block filter");
    assert(typeof one[0].AvailableIpAddressCount === "number" && one[0].AvailabilityZone, JSON.stringify(one[0]));
  });
  await check("DescribeInternetGateways", async () => {
    const g = (await ec2.send(new DescribeInternetGatewaysCommand(filter("attachment.vpc-id", s.vpc))))
      .InternetGateways;
    assert(g.length === 1 && g[0].InternetGatewayId === s.igw, JSON.stringify(g));
    assert(g[0].Attachments?.[0]?.VpcId === s.vpc && g[0].Attachments[0].State === "available", "attachment");
  });
  await check("DescribeRouteTables", async () => {
    const r = (await ec2.send(new DescribeRouteTablesCommand(filter("association.subnet-id", s.pub)))).RouteTables;
    assert(r.length === 1 && r[0].RouteTableId === s.rtb, JSON.stringify(r));
    const routes = r[0].Routes.map((x) => `${x.DestinationCidrBlock}>${x.GatewayId}:${x.State}`).sort();
    assert(routes.join() === [`${cidr}>local:active`, `0.0.0.0/0>${s.igw}:active`].sort().join(), `${routes}`);
    assert(r[0].Associations?.[0]?.RouteTableAssociationId === s.assoc, "association");
    const all = (await ec2.send(new DescribeRouteTablesCommand(filter("vpc-id", s.vpc)))).RouteTables;
    assert(all.length === 2 && all.filter((t) => t.Associations?.some((x) => x.Main)).length === 1, "main table");
  });
  await check("DescribeNetworkInterfaces", async () => {
    const e = (await ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [s.eni] })))
      .NetworkInterfaces[0];
    assert(e.Status === "available" && e.SubnetId === s.priv && e.Description === tag, JSON.stringify(e));
    const sec = (await ec2.send(new DescribeNetworkInterfacesCommand(filter("addresses.private-ip-address", ips[1]))))
      .NetworkInterfaces;
    assert(sec.length === 1 && sec[0].NetworkInterfaceId === s.eni, "addresses.private-ip-address");
    const inVpc = (await ec2.send(new DescribeNetworkInterfacesCommand(filter("vpc-id", s.vpc)))).NetworkInterfaces;
    assert(inVpc.length === 3, `vpc-id: ${inVpc.map((x) => x.NetworkInterfaceId)}`);
    const web = inVpc.find((x) => x.NetworkInterfaceId === s.webEni);
    assert(web?.Status === "in-use" && web.Attachment?.InstanceId === s.instances.pub, JSON.stringify(web));
    assert(web.Association?.PublicIp === s.publicIp, `association ${JSON.stringify(web.Association)}`);
  });
  await check("isolation", async () => {
    // one request at a time: a promise made before its turn would reject unobserved
    for (const [cmd, want] of [
      [new DescribeVpcsCommand({ VpcIds: [s.vpc] }), "InvalidVpcID.NotFound"],
      [new DescribeSubnetsCommand({ SubnetIds: [s.pub] }), "InvalidSubnetID.NotFound"],
      [new DescribeRouteTablesCommand({ RouteTableIds: [s.rtb] }), "InvalidRouteTableID.NotFound"],
      [new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [s.eni] }), "InvalidNetworkInterfaceID.NotFound"],
      [new DeleteVpcCommand({ VpcId: s.vpc }), "InvalidVpcID.NotFound"],
    ]) {
      const code = await errorCode(ec2b.send(cmd));
      assert(code === want, `second tenant got ${code}, want ${want}`);
    }
    const vpcs = (await ec2b.send(new DescribeVpcsCommand({}))).Vpcs.map((x) => x.VpcId);
    assert(!vpcs.includes(s.vpc), "second tenant lists the VPC");
  });
} finally {
  // Terraform's order; each step only when its object was made
  console.log(JSON.stringify({ check: "ids", ok: true, vpc: s.vpc, subnets: [s.pub, s.priv].filter(Boolean), eni: s.eni }));
  if (s.instances && Object.keys(s.instances).length)
    await check("TerminateInstances", async () => {
      const ids = Object.values(s.instances);
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      await waitUntilInstanceTerminated({ client: ec2, maxWaitTime: 300, minDelay: 2 }, { InstanceIds: ids });
    });
  if (s.alloc)
    await check("ReleaseAddress", async () => {
      await ec2.send(new ReleaseAddressCommand({ AllocationId: s.alloc }));
    });
  if (s.eni)
    await check("DeleteNetworkInterface", async () => {
      await ec2.send(new DeleteNetworkInterfaceCommand({ NetworkInterfaceId: s.eni }));
      const code = await errorCode(ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [s.eni] })));
      assert(code === "InvalidNetworkInterfaceID.NotFound", `after delete: ${code}`);
    });
  if (s.assoc)
    await check("DisassociateRouteTable", async () => {
      await ec2.send(new DisassociateRouteTableCommand({ AssociationId: s.assoc }));
    });
  if (s.rtb)
    await check("DeleteRouteTable", async () => {
      await ec2.send(new DeleteRouteTableCommand({ RouteTableId: s.rtb }));
      const code = await errorCode(ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [s.rtb] })));
      assert(code === "InvalidRouteTableID.NotFound", `after delete: ${code}`);
    });
  if (s.igw)
    await check("DetachInternetGateway + Delete", async () => {
      if (s.attached) await ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: s.igw, VpcId: s.vpc }));
      await ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: s.igw }));
    });
  for (const k of ["pub", "priv"])
    if (s[k])
      await check(`DeleteSubnet ${k}`, async () => {
        await retryDependency(() => ec2.send(new DeleteSubnetCommand({ SubnetId: s[k] })));
      });
  if (s.vpc)
    await check("DeleteVpc", async () => {
      await ec2.send(new DeleteVpcCommand({ VpcId: s.vpc }));
      const code = await errorCode(ec2.send(new DescribeVpcsCommand({ VpcIds: [s.vpc] })));
      assert(code === "InvalidVpcID.NotFound", `after delete: ${code}`);
    });
}
exit();
