// ec2_workflow.mjs - drive ec2gwd with the AWS SDK for JavaScript v3 (@aws-sdk/client-ec2).
//
// The JS SDK has the strictest XML deserializer of the usual clients: it reads list children
// only under the names the model gives them, and rejects timestamps it cannot parse, so this
// catches response shapes boto3 and the AWS CLI let through.
//
// Environment: EC2GW_URL, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (first tenant) and
// AWS_ACCESS_KEY_ID_2/AWS_SECRET_ACCESS_KEY_2 (second tenant). Prints one JSON line per check
// and exits non-zero if any check fails. Run by ../test_js_sdk.py.
import {
  EC2Client,
  DescribeRegionsCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstanceTypesCommand,
  DescribeImagesCommand,
  CreateKeyPairCommand,
  DescribeKeyPairsCommand,
  DeleteKeyPairCommand,
  CreateTagsCommand,
  DescribeTagsCommand,
  DeleteTagsCommand,
  RunInstancesCommand,
  DescribeInstancesCommand,
  GetConsoleOutputCommand,
  StopInstancesCommand,
  StartInstancesCommand,
  TerminateInstancesCommand,
} from "@aws-sdk/client-ec2";

function need(name) {
  const v = process.env[name];
  if (!v) {
    console.log(JSON.stringify({ check: "environment", ok: false, error: `${name} is not set` }));
    process.exit(2);
  }
  return v;
}

const endpoint = need("EC2GW_URL");

function client(keyVar, secretVar) {
  return new EC2Client({
    endpoint,
    region: "RegionOne",
    maxAttempts: 1,
    credentials: { accessKeyId: need(keyVar), secretAccessKey: need(secretVar) },
  });
}

const ec2 = client("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
const ec2b = client("AWS_ACCESS_KEY_ID_2", "AWS_SECRET_ACCESS_KEY_2");

let failures = 0;
const state = {}; // values later checks need (image id, instance ids)
const created = { keyName: null, tagged: null, instances: [] };

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function errInfo(e) {
  return {
    name: e?.name,
    code: e?.Code,
    message: e?.message,
    httpStatusCode: e?.$metadata?.httpStatusCode,
    requestId: e?.$metadata?.requestId,
  };
}

// Runs one check; a check that throws is a failure (reported, then the run goes on unless the
// check is marked as required by later ones).
async function check(name, fn, { required = false } = {}) {
  const t0 = Date.now();
  try {
    const detail = await fn();
    console.log(JSON.stringify({ check: name, ok: true, ms: Date.now() - t0, ...(detail || {}) }));
    return true;
  } catch (e) {
    failures++;
    const info = e?.$metadata ? errInfo(e) : { name: e?.name, message: String(e?.message ?? e) };
    if (!e?.$metadata && e?.stack) info.stack = e.stack.split("\n").slice(0, 4).join(" | ");
    // deserialization errors of the SDK carry the raw body
    if (e?.$responseBodyText) info.responseBody = String(e.$responseBodyText).slice(0, 4000);
    console.log(JSON.stringify({ check: name, ok: false, ms: Date.now() - t0, error: info }));
    if (required) throw new Error(`required check ${name} failed`);
    return false;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const KNOWN_STATES = new Set(["pending", "running", "shutting-down", "terminated", "stopping", "stopped"]);

async function describeByIds(c, ids) {
  const out = await c.send(new DescribeInstancesCommand({ InstanceIds: ids }));
  const list = [];
  for (const r of out.Reservations ?? []) for (const i of r.Instances ?? []) list.push(i);
  return list;
}

// Polls DescribeInstances every 2 s (deadline 120 s) until every id is in state `want`.
async function waitFor(ids, want) {
  const deadline = Date.now() + 120_000;
  let last = [];
  for (;;) {
    const list = await describeByIds(ec2, ids);
    last = list.map((i) => `${i.InstanceId}:${i.State?.Name}`);
    for (const i of list) {
      assert(KNOWN_STATES.has(i.State?.Name), `unexpected State.Name ${JSON.stringify(i.State)} of ${i.InstanceId}`);
      assert(typeof i.State?.Code === "number", `State.Code is not a number: ${JSON.stringify(i.State)}`);
    }
    const seen = new Set(list.map((i) => i.InstanceId));
    // A terminated instance may vanish from the listing once it is gone from the backend.
    const done = ids.every((id) => (seen.has(id) ? list.find((i) => i.InstanceId === id).State.Name === want : want === "terminated"));
    if (done) return list;
    if (Date.now() > deadline) throw new Error(`instances not ${want} within 120 s: ${last.join(", ")}`);
    await sleep(2000);
  }
}

async function main() {
  await check("DescribeRegions", async () => {
    const out = await ec2.send(new DescribeRegionsCommand({}));
    const regions = out.Regions ?? [];
    assert(regions.length === 1, `expected 1 region, got ${JSON.stringify(regions)}`);
    assert(regions[0].RegionName === "RegionOne", `RegionName is ${regions[0].RegionName}`);
    return { regions: regions.map((r) => r.RegionName) };
  });

  await check("DescribeAvailabilityZones", async () => {
    const out = await ec2.send(new DescribeAvailabilityZonesCommand({}));
    const zones = out.AvailabilityZones ?? [];
    assert(zones.length >= 1, "no availability zone");
    for (const z of zones) assert(z.State === "available", `zone ${z.ZoneName} state ${z.State}`);
    return { zones: zones.map((z) => z.ZoneName) };
  });

  await check("DescribeInstanceTypes", async () => {
    const out = await ec2.send(new DescribeInstanceTypesCommand({}));
    const types = out.InstanceTypes ?? [];
    const micro = types.find((t) => t.InstanceType === "t2.micro");
    assert(micro, `t2.micro missing among ${JSON.stringify(types.map((t) => t.InstanceType))}`);
    assert(typeof micro.VCpuInfo?.DefaultVCpus === "number" && micro.VCpuInfo.DefaultVCpus > 0,
      `t2.micro VCpuInfo ${JSON.stringify(micro.VCpuInfo)}`);
    assert(typeof micro.MemoryInfo?.SizeInMiB === "number" && micro.MemoryInfo.SizeInMiB > 0,
      `t2.micro MemoryInfo ${JSON.stringify(micro.MemoryInfo)}`);
    return { count: types.length, vcpus: micro.VCpuInfo.DefaultVCpus, mib: micro.MemoryInfo.SizeInMiB };
  });

  await check("DescribeImages", async () => {
    const out = await ec2.send(new DescribeImagesCommand({}));
    const images = out.Images ?? [];
    const img = images.find((i) => i.Name === "cirros-fake");
    assert(img, `cirros-fake missing among ${JSON.stringify(images.map((i) => i.Name))}`);
    assert(img.Public === true, `cirros-fake Public is ${img.Public}`);
    assert(/^ami-[0-9a-f]{8}$/.test(img.ImageId ?? ""), `ImageId ${img.ImageId}`);
    assert(typeof img.CreationDate === "string" && !Number.isNaN(Date.parse(img.CreationDate)),
      `CreationDate ${img.CreationDate} does not parse`);
    state.imageId = img.ImageId;
    return { imageId: img.ImageId, creationDate: img.CreationDate, state: img.State };
  });

  const keyName = `js-key-${process.pid}-${Date.now().toString(36)}`;
  await check("CreateKeyPair", async () => {
    const out = await ec2.send(new CreateKeyPairCommand({ KeyName: keyName, KeyType: "rsa" }));
    created.keyName = keyName;
    assert(out.KeyName === keyName, `KeyName ${out.KeyName}`);
    assert((out.KeyMaterial ?? "").startsWith("-----BEGIN"), `KeyMaterial starts ${JSON.stringify((out.KeyMaterial ?? "").slice(0, 20))}`);
    assert(out.KeyFingerprint, "no KeyFingerprint");
    return { keyName, fingerprint: out.KeyFingerprint };
  });

  await check("DescribeKeyPairs", async () => {
    const out = await ec2.send(new DescribeKeyPairsCommand({}));
    const kp = (out.KeyPairs ?? []).find((k) => k.KeyName === keyName);
    assert(kp, `${keyName} missing among ${JSON.stringify((out.KeyPairs ?? []).map((k) => k.KeyName))}`);
    return { found: kp.KeyName, keyType: kp.KeyType };
  });

  await check("DeleteKeyPair", async () => {
    await ec2.send(new DeleteKeyPairCommand({ KeyName: keyName }));
    created.keyName = null;
    const out = await ec2.send(new DescribeKeyPairsCommand({}));
    assert(!(out.KeyPairs ?? []).some((k) => k.KeyName === keyName), `${keyName} still listed`);
  });

  if (state.imageId) {
    const tagKey = `js-tag-${process.pid}`;
    await check("CreateTags", async () => {
      await ec2.send(new CreateTagsCommand({ Resources: [state.imageId], Tags: [{ Key: tagKey, Value: "0123" }] }));
      created.tagged = { id: state.imageId, key: tagKey };
    });
    await check("DescribeTags", async () => {
      const out = await ec2.send(new DescribeTagsCommand({
        Filters: [{ Name: "resource-id", Values: [state.imageId] }, { Name: "key", Values: [tagKey] }],
      }));
      const tags = out.Tags ?? [];
      const t = tags.find((x) => x.Key === tagKey && x.ResourceId === state.imageId);
      assert(t, `tag missing: ${JSON.stringify(tags)}`);
      assert(t.Value === "0123" && typeof t.Value === "string", `Value ${JSON.stringify(t.Value)}`);
      assert(t.ResourceType === "image", `ResourceType ${t.ResourceType}`);
      return { tag: t };
    });
    await check("DeleteTags", async () => {
      await ec2.send(new DeleteTagsCommand({ Resources: [state.imageId], Tags: [{ Key: tagKey }] }));
      created.tagged = null;
      const out = await ec2.send(new DescribeTagsCommand({
        Filters: [{ Name: "resource-id", Values: [state.imageId] }, { Name: "key", Values: [tagKey] }],
      }));
      assert((out.Tags ?? []).length === 0, `tag still there: ${JSON.stringify(out.Tags)}`);
    });
  } else {
    failures++;
    console.log(JSON.stringify({ check: "Tags+Instances", ok: false, error: { message: "no image id (DescribeImages failed)" } }));
    return;
  }

  // Instances: everything below needs them running.
  try {
    await check("RunInstances", async () => {
      const userData = Buffer.from("#!/bin/sh\necho hi").toString("base64");
      const out = await ec2.send(new RunInstancesCommand({
        ImageId: state.imageId, InstanceType: "t2.micro", MinCount: 1, MaxCount: 2, UserData: userData,
        TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "js-test" }] }],
      }));
      const insts = out.Instances ?? [];
      created.instances.push(...insts.map((i) => i.InstanceId));
      assert(insts.length === 2, `expected 2 instances, got ${insts.length}`);
      for (const i of insts) {
        assert(/^i-[0-9a-f]{8,17}$/.test(i.InstanceId ?? ""), `InstanceId ${i.InstanceId}`);
        assert(i.LaunchTime instanceof Date && !Number.isNaN(i.LaunchTime.getTime()), `LaunchTime ${i.LaunchTime}`);
        assert(KNOWN_STATES.has(i.State?.Name), `State ${JSON.stringify(i.State)}`);
      }
      assert(out.ReservationId, "no ReservationId");
      return { reservationId: out.ReservationId, ids: created.instances };
    }, { required: true });
    const ids = [...created.instances];

    await check("WaitRunning", async () => {
      const list = await waitFor(ids, "running");
      for (const i of list) {
        assert(i.LaunchTime instanceof Date && !Number.isNaN(i.LaunchTime.getTime()), `LaunchTime ${i.LaunchTime}`);
        assert(i.ImageId === state.imageId, `ImageId ${i.ImageId}`);
        assert(i.InstanceType === "t2.micro", `InstanceType ${i.InstanceType}`);
      }
      return { states: list.map((i) => i.State.Name), launchTimes: list.map((i) => i.LaunchTime.toISOString()) };
    }, { required: true });

    await check("DescribeInstancesTagFilter", async () => {
      const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: "tag:Name", Values: ["js-test"] }] }));
      const list = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      const mine = list.filter((i) => ids.includes(i.InstanceId));
      assert(mine.length === 2, `expected our 2 instances, got ${JSON.stringify(list.map((i) => i.InstanceId))}`);
      for (const i of mine) {
        const name = (i.Tags ?? []).find((t) => t.Key === "Name");
        assert(name?.Value === "js-test", `Tags of ${i.InstanceId}: ${JSON.stringify(i.Tags)}`);
      }
      return { matched: list.length };
    });

    await check("GetConsoleOutput", async () => {
      const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: ids[0] }));
      assert(out.InstanceId === ids[0], `InstanceId ${out.InstanceId}`);
      assert(typeof out.Output === "string" && out.Output.length > 0, `Output ${JSON.stringify(out.Output)}`);
      assert(/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(out.Output), "Output is not base64");
      const text = Buffer.from(out.Output, "base64").toString("utf8");
      assert(text.length > 0, "decoded Output is empty");
      if (out.Timestamp !== undefined) assert(out.Timestamp instanceof Date && !Number.isNaN(out.Timestamp.getTime()), `Timestamp ${out.Timestamp}`);
      return { decodedStart: text.slice(0, 40) };
    });

    await check("StopInstances", async () => {
      const out = await ec2.send(new StopInstancesCommand({ InstanceIds: [ids[0]] }));
      const s = out.StoppingInstances ?? [];
      assert(s.length === 1 && s[0].InstanceId === ids[0], `StoppingInstances ${JSON.stringify(s)}`);
      assert(KNOWN_STATES.has(s[0].CurrentState?.Name) && KNOWN_STATES.has(s[0].PreviousState?.Name),
        `states ${JSON.stringify(s[0])}`);
      await waitFor([ids[0]], "stopped");
      return { current: s[0].CurrentState.Name, previous: s[0].PreviousState.Name };
    });

    await check("StartInstances", async () => {
      const out = await ec2.send(new StartInstancesCommand({ InstanceIds: [ids[0]] }));
      const s = out.StartingInstances ?? [];
      assert(s.length === 1 && s[0].InstanceId === ids[0], `StartingInstances ${JSON.stringify(s)}`);
      assert(KNOWN_STATES.has(s[0].CurrentState?.Name), `states ${JSON.stringify(s[0])}`);
      await waitFor([ids[0]], "running");
      return { current: s[0].CurrentState.Name };
    });

    await check("SecondTenantIsolation", async () => {
      let list = [];
      try {
        list = await describeByIds(ec2b, ids);
      } catch (e) {
        assert(e.name === "InvalidInstanceID.NotFound" || e.Code === "InvalidInstanceID.NotFound",
          `unexpected error ${JSON.stringify(errInfo(e))}`);
        return { result: e.name };
      }
      assert(list.length === 0, `second tenant sees ${JSON.stringify(list.map((i) => i.InstanceId))}`);
      const all = await ec2b.send(new DescribeInstancesCommand({}));
      const seen = (all.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId);
      assert(!seen.some((id) => ids.includes(id)), `second tenant lists ${JSON.stringify(seen)}`);
      return { result: "empty" };
    });

    await check("TerminateInstances", async () => {
      const out = await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
      const t = out.TerminatingInstances ?? [];
      assert(t.length === 2, `TerminatingInstances ${JSON.stringify(t)}`);
      for (const x of t) assert(KNOWN_STATES.has(x.CurrentState?.Name), `states ${JSON.stringify(x)}`);
      await waitFor(ids, "terminated");
      created.instances = [];
      return { terminated: ids };
    });
  } catch (e) {
    // a required check failed: already reported; the finally block of run() cleans up
  }

  await check("ErrorInvalidInstanceID", async () => {
    try {
      await ec2.send(new DescribeInstancesCommand({ InstanceIds: ["i-00000000"] }));
    } catch (e) {
      const info = errInfo(e);
      assert(e.name === "InvalidInstanceID.NotFound", `error name ${e.name} (${JSON.stringify(info)})`);
      assert(e.Code === undefined || e.Code === "InvalidInstanceID.NotFound", `Code ${e.Code}`);
      assert(e.$metadata?.httpStatusCode === 400, `httpStatusCode ${e.$metadata?.httpStatusCode}`);
      assert(e.$metadata?.requestId, "no requestId in $metadata");
      return info;
    }
    throw new Error("DescribeInstances of i-00000000 succeeded");
  });
}

async function cleanup() {
  const steps = [];
  if (created.instances.length) {
    try {
      await ec2.send(new TerminateInstancesCommand({ InstanceIds: created.instances }));
      steps.push(`terminated ${created.instances.join(",")}`);
    } catch (e) {
      steps.push(`terminate failed: ${e.name}: ${e.message}`);
    }
  }
  if (created.keyName) {
    try {
      await ec2.send(new DeleteKeyPairCommand({ KeyName: created.keyName }));
      steps.push(`deleted key ${created.keyName}`);
    } catch (e) {
      steps.push(`delete key failed: ${e.name}: ${e.message}`);
    }
  }
  if (created.tagged) {
    try {
      await ec2.send(new DeleteTagsCommand({ Resources: [created.tagged.id], Tags: [{ Key: created.tagged.key }] }));
      steps.push(`deleted tag ${created.tagged.key}`);
    } catch (e) {
      steps.push(`delete tag failed: ${e.name}: ${e.message}`);
    }
  }
  if (steps.length) console.log(JSON.stringify({ check: "cleanup", ok: true, steps }));
}

try {
  await main();
} catch (e) {
  failures++;
  console.log(JSON.stringify({ check: "main", ok: false, error: { message: String(e?.message ?? e), stack: e?.stack } }));
} finally {
  await cleanup();
}
console.log(JSON.stringify({ summary: true, failures }));
process.exit(failures ? 1 : 0);
