// volume_workflow.mjs - EBS volumes and snapshots through the AWS SDK for JavaScript v3 (the
// strictest XML parser): CreateVolume with tags (flattened answer), DescribeVolumes by id and
// filter (volumeSet, tagSet, attachmentSet with EC2GW_INSTANCE attached as /dev/sdf),
// DescribeVolumeStatus, DescribeVolumeAttribute, CreateSnapshot/DescribeSnapshots (Owner
// self), CopySnapshot (pending, then completed as vol-ffffffff; deleted again), the second
// tenant's NotFound, detach, DeleteSnapshot, DeleteVolume. Environment as
// ec2_workflow.mjs plus EC2GW_INSTANCE; one JSON line per check, non-zero exit on a failure.
// Run by ../test_volumes.py.
import {
  CreateVolumeCommand,
  DescribeVolumesCommand,
  DescribeVolumeStatusCommand,
  DescribeVolumeAttributeCommand,
  AttachVolumeCommand,
  DetachVolumeCommand,
  CreateSnapshotCommand,
  CopySnapshotCommand,
  DescribeSnapshotsCommand,
  DeleteSnapshotCommand,
  DeleteVolumeCommand,
} from "@aws-sdk/client-ec2";
import { env, ec2, ec2b, assert, check, errorCode, sleep, exit } from "./common.mjs";

const instance = env("EC2GW_INSTANCE");

async function volume(id) {
  return (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes[0];
}
async function waitVolume(id, pred, what) {
  for (let i = 0; i < 90; i++) {
    const v = await volume(id);
    if (pred(v)) return v;
    await sleep(2000);
  }
  throw new Error(`${id} never became ${what}`);
}

const tag = `js-vol-${Date.now()}`;
let vid = null;
let sid = null;

await check("CreateVolume", async () => {
  const v = await ec2.send(
    new CreateVolumeCommand({
      Size: 1,
      AvailabilityZone: "nova",
      TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "Name", Value: tag }] }],
    })
  );
  vid = v.VolumeId;
  assert(/^vol-[0-9a-f]+$/.test(vid), `VolumeId ${vid}`);
  assert(v.Size === 1 && v.State === "creating", `Size ${v.Size} State ${v.State}`);
  assert(v.CreateTime instanceof Date, "CreateTime is a Date");
  assert(v.Tags?.[0]?.Value === tag, "tagSet");
  await waitVolume(vid, (x) => x.State === "available", "available");
  return { vid };
});

await check("DescribeVolumes filter tag:Name", async () => {
  const r = await ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: "tag:Name", Values: [tag] }] }));
  assert(r.Volumes.length === 1 && r.Volumes[0].VolumeId === vid, JSON.stringify(r.Volumes));
  assert(Array.isArray(r.Volumes[0].Attachments) && r.Volumes[0].Attachments.length === 0, "empty attachmentSet");
});

await check("AttachVolume and attachmentSet", async () => {
  const a = await ec2.send(new AttachVolumeCommand({ VolumeId: vid, InstanceId: instance, Device: "/dev/sdf" }));
  assert(a.State === "attaching" && a.Device === "/dev/sdf", JSON.stringify(a));
  const v = await waitVolume(vid, (x) => x.Attachments?.[0]?.State === "attached", "attached");
  const at = v.Attachments[0];
  assert(v.State === "in-use" && at.InstanceId === instance && at.Device === "/dev/sdf", JSON.stringify(v));
  assert(at.AttachTime instanceof Date && at.DeleteOnTermination === false, JSON.stringify(at));
});

await check("DescribeVolumeStatus / DescribeVolumeAttribute", async () => {
  const s = await ec2.send(new DescribeVolumeStatusCommand({ VolumeIds: [vid] }));
  assert(s.VolumeStatuses[0].VolumeStatus.Status === "ok", JSON.stringify(s.VolumeStatuses));
  const a = await ec2.send(new DescribeVolumeAttributeCommand({ VolumeId: vid, Attribute: "autoEnableIO" }));
  assert(a.AutoEnableIO?.Value === false, JSON.stringify(a));
});

await check("CreateSnapshot in use / DescribeSnapshots Owner self", async () => {
  const s = await ec2.send(new CreateSnapshotCommand({ VolumeId: vid, Description: tag }));
  sid = s.SnapshotId;
  assert(/^snap-[0-9a-f]+$/.test(sid) && s.State === "pending" && s.StartTime instanceof Date, JSON.stringify(s));
  for (let i = 0; i < 90; i++) {
    const r = await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ["self"], SnapshotIds: [sid] }));
    if (r.Snapshots[0].State === "completed") {
      assert(r.Snapshots[0].Progress === "100%" && r.Snapshots[0].VolumeId === vid, JSON.stringify(r.Snapshots));
      return { sid };
    }
    await sleep(2000);
  }
  throw new Error("snapshot never completed");
});

await check("CopySnapshot / DescribeSnapshots of the copy / DeleteSnapshot", async () => {
  // the SDK presigns the request for SourceRegion and adds DestinationRegion: both this region
  const c = await ec2.send(new CopySnapshotCommand({ SourceSnapshotId: sid, SourceRegion: "RegionOne", Description: `copy ${tag}` }));
  const cid = c.SnapshotId;
  assert(/^snap-[0-9a-f]+$/.test(cid) && cid !== sid, JSON.stringify(c));
  for (let i = 0; i < 90; i++) {
    const r = await ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [cid] }));
    const s = r.Snapshots[0];
    assert(i > 0 || s.State === "pending", `first ${s.State}`);
    if (s.State === "completed") {
      assert(s.VolumeId === "vol-ffffffff" && s.Progress === "100%" && s.Description === `copy ${tag}`, JSON.stringify(s));
      assert(s.StartTime instanceof Date && s.VolumeSize === 1, JSON.stringify(s));
      await ec2.send(new DeleteSnapshotCommand({ SnapshotId: cid }));
      assert((await errorCode(ec2.send(new DescribeSnapshotsCommand({ SnapshotIds: [cid] })))) === "InvalidSnapshot.NotFound", "copy deleted");
      return { cid };
    }
    await sleep(2000);
  }
  throw new Error("copy never completed");
});

await check("second tenant sees neither", async () => {
  assert((await errorCode(ec2b.send(new DescribeVolumesCommand({ VolumeIds: [vid] })))) === "InvalidVolume.NotFound", "volume");
  assert((await errorCode(ec2b.send(new DescribeSnapshotsCommand({ SnapshotIds: [sid] })))) === "InvalidSnapshot.NotFound", "snapshot");
});

await check("DetachVolume, DeleteSnapshot, DeleteVolume", async () => {
  assert((await errorCode(ec2.send(new DeleteVolumeCommand({ VolumeId: vid })))) === "VolumeInUse", "in use");
  const d = await ec2.send(new DetachVolumeCommand({ VolumeId: vid, InstanceId: instance }));
  assert(d.State === "detaching", JSON.stringify(d));
  await waitVolume(vid, (x) => x.State === "available", "available");
  await ec2.send(new DeleteSnapshotCommand({ SnapshotId: sid }));
  for (let i = 0; i < 60; i++) {
    if ((await errorCode(ec2.send(new DeleteVolumeCommand({ VolumeId: vid })))) === null) return;
    await sleep(2000); // Cinder keeps the volume until its snapshot is gone
  }
  throw new Error("volume never deleted");
});

exit();
