// sg_workflow.mjs - security groups through the AWS SDK for JavaScript v3 (the strictest XML
// parser): CreateSecurityGroup with tags, AuthorizeSecurityGroupIngress (securityGroupRuleSet),
// DescribeSecurityGroups (ipPermissions, groups, tagSet), DescribeSecurityGroupRules, the
// second tenant's NotFound, RevokeSecurityGroupIngress, DeleteSecurityGroup,
// DescribeAccountAttributes. EC2GW_SG_NAME names the group; one JSON line per check, non-zero
// exit on a failure. Run by ../test_network_sg.py.
import {
  CreateSecurityGroupCommand,
  AuthorizeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  DescribeSecurityGroupRulesCommand,
  RevokeSecurityGroupIngressCommand,
  DeleteSecurityGroupCommand,
  DescribeAccountAttributesCommand,
} from "@aws-sdk/client-ec2";
import { env, ec2, ec2b, assert, check, errorCode, exit } from "./common.mjs";

const name = env("EC2GW_SG_NAME");
let gid = null;
let rules = [];
try {
  await check("CreateSecurityGroup", async () => {
    const out = await ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: name,
        Description: "from the JS SDK",
        TagSpecifications: [{ ResourceType: "security-group", Tags: [{ Key: "Name", Value: name }] }],
      }),
    );
    gid = out.GroupId;
    assert(/^sg-[0-9a-f]+$/.test(gid ?? ""), `GroupId ${gid}`);
    assert(out.Tags?.[0]?.Value === name, `Tags ${JSON.stringify(out.Tags)}`);
    return { groupId: gid };
  });
  await check("AuthorizeSecurityGroupIngress", async () => {
    const out = await ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: gid,
        IpPermissions: [
          { IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "192.0.2.0/24", Description: "ssh" }] },
          { IpProtocol: "udp", FromPort: 7000, ToPort: 7010, UserIdGroupPairs: [{ GroupId: gid }] },
        ],
      }),
    );
    rules = out.SecurityGroupRules ?? [];
    assert(out.Return === true, `Return ${out.Return}`);
    assert(rules.length === 2 && rules.every((r) => /^sgr-/.test(r.SecurityGroupRuleId)), JSON.stringify(rules));
  });
  await check("DescribeSecurityGroups", async () => {
    const out = await ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [gid] }));
    const g = out.SecurityGroups?.[0];
    assert(g?.GroupName === name, `GroupName ${g?.GroupName}`);
    assert(g.Tags?.[0]?.Value === name, `Tags ${JSON.stringify(g.Tags)}`);
    const ssh = g.IpPermissions.find((p) => p.FromPort === 22);
    assert(ssh?.IpRanges?.[0]?.CidrIp === "192.0.2.0/24" && ssh.IpRanges[0].Description === "ssh", JSON.stringify(ssh));
    const self = g.IpPermissions.find((p) => p.IpProtocol === "udp");
    assert(self?.UserIdGroupPairs?.[0]?.GroupId === gid, JSON.stringify(self));
    assert(g.IpPermissionsEgress.length >= 1, "egress");
    const f = await ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: "ip-permission.to-port", Values: ["7010"] }] }),
    );
    assert(f.SecurityGroups.map((x) => x.GroupId).includes(gid), "filter");
  });
  await check("DescribeSecurityGroupRules", async () => {
    const out = await ec2.send(
      new DescribeSecurityGroupRulesCommand({ SecurityGroupRuleIds: rules.map((r) => r.SecurityGroupRuleId) }),
    );
    assert(out.SecurityGroupRules.length === 2, JSON.stringify(out.SecurityGroupRules));
    const ref = out.SecurityGroupRules.find((r) => r.ReferencedGroupInfo);
    assert(ref?.ReferencedGroupInfo?.GroupId === gid, JSON.stringify(ref));
  });
  await check("isolation", async () => {
    const code = await errorCode(ec2b.send(new DescribeSecurityGroupsCommand({ GroupIds: [gid] })));
    assert(code === "InvalidGroup.NotFound", `second tenant got ${code}`);
  });
  await check("RevokeSecurityGroupIngress", async () => {
    const out = await ec2.send(
      new RevokeSecurityGroupIngressCommand({ GroupId: gid, SecurityGroupRuleIds: [rules[0].SecurityGroupRuleId] }),
    );
    assert(out.RevokedSecurityGroupRules?.[0]?.SecurityGroupRuleId === rules[0].SecurityGroupRuleId, JSON.stringify(out));
  });
  await check("DescribeAccountAttributes", async () => {
    const out = await ec2.send(new DescribeAccountAttributesCommand({ AttributeNames: ["supported-platforms"] }));
    const vals = out.AccountAttributes?.[0]?.AttributeValues?.map((v) => v.AttributeValue);
    assert(vals?.includes("EC2"), JSON.stringify(out.AccountAttributes));
  });
} finally {
  if (gid) {
    await check("DeleteSecurityGroup", async () => {
      // the group names itself in a rule: AWS deletes such a group all the same
      await ec2.send(new DeleteSecurityGroupCommand({ GroupId: gid }));
      const code = await errorCode(ec2.send(new DescribeSecurityGroupsCommand({ GroupIds: [gid] })));
      assert(code === "InvalidGroup.NotFound", `after delete: ${code}`);
    });
  }
}
exit();
