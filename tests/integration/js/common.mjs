// common.mjs - what the JS SDK v3 workflows (sg_, eip_, volume_workflow.mjs) share: the two
// tenants' clients on EC2GW_URL (AWS_ACCESS_KEY_ID[_2], AWS_SECRET_ACCESS_KEY[_2]), one JSON line
// per check, and the exit code (non-zero after any failed check).
import { EC2Client } from "@aws-sdk/client-ec2";

export const env = (k) => {
  if (!process.env[k]) throw new Error(`${k} is not set`);
  return process.env[k];
};
const client = (k, s) =>
  new EC2Client({
    endpoint: env("EC2GW_URL"),
    region: "RegionOne",
    maxAttempts: 1,
    credentials: { accessKeyId: env(k), secretAccessKey: env(s) },
  });
export const ec2 = client("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY");
export const ec2b = client("AWS_ACCESS_KEY_ID_2", "AWS_SECRET_ACCESS_KEY_2");

let failures = 0;
export function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}
export async function check(name, fn) {
  try {
    const detail = await fn();
    console.log(JSON.stringify({ check: name, ok: true, ...(detail || {}) }));
  } catch (e) {
    failures++;
    console.log(JSON.stringify({ check: name, ok: false, error: { name: e?.name, message: String(e?.message ?? e) } }));
  }
}
export async function errorCode(p) {
  try {
    await p;
  } catch (e) {
    return e?.name;
  }
  return null;
}
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export function exit() {
  process.exit(failures ? 1 : 0);
}
