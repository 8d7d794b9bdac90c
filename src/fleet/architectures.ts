/**
 * The CPU architecture of a fleet: every instance type of a run must have one the worker image is built for
 * (WIKIREVERSE_IMAGE_ARCHS; the Dockerfile builds x86_64), and they must share it, since the launch template has one
 * AMI: the ECS-optimized Amazon Linux 2023 of that architecture. Types are looked up with DescribeInstanceTypes, so
 * a type EC2 does not know, or one of another architecture, is refused with one line before anything is launched.
 */
import { DescribeInstanceTypesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { UsageError } from '../exit-codes.js';

export const ARCHITECTURES = ['x86_64', 'arm64'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** The AMI of each architecture, resolved by EC2 at launch: ECS-optimized Amazon Linux 2023 (Docker and the AWS CLI in it). */
export const DEFAULT_AMIS: Readonly<Record<Architecture, string>> = {
  x86_64: 'resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id',
  arm64: 'resolve:ssm:/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id',
};

/** The architecture of each type, as EC2 describes it. */
export async function typeArchitectures(client: EC2Client, types: readonly string[]): Promise<Map<string, Architecture>> {
  let res;
  try {
    res = await client.send(new DescribeInstanceTypesCommand({ InstanceTypes: [...types] as never }));
  } catch (err) {
    if ((err as Error).name === 'InvalidInstanceType') throw new UsageError(`--instance-types: ${(err as Error).message}`, { cause: err });
    throw err;
  }
  const out = new Map<string, Architecture>();
  for (const t of res.InstanceTypes ?? []) {
    const arch = ARCHITECTURES.find((a) => t.ProcessorInfo?.SupportedArchitectures?.includes(a));
    if (t.InstanceType && arch) out.set(t.InstanceType, arch);
  }
  return out;
}

/** The one architecture of `types`, when the image has it; otherwise a UsageError of one line saying what to change. */
export function fleetArchitecture(types: readonly string[], archs: ReadonlyMap<string, Architecture>, imageArchs: readonly string[]): Architecture {
  const unknown = types.filter((t) => !archs.has(t));
  if (unknown.length > 0) throw new UsageError(`--instance-types: EC2 knows no architecture of ${unknown.join(', ')}`);
  const found = [...new Set(types.map((t) => archs.get(t) as Architecture))];
  const byArch = (a: Architecture): string => `${a}: ${types.filter((t) => archs.get(t) === a).join(', ')}`;
  if (found.length > 1) throw new UsageError(`--instance-types mixes architectures (${found.map(byArch).join('; ')}); a fleet's types share one, as its launch template has one AMI`);
  const arch = found[0] as Architecture;
  if (!imageArchs.includes(arch)) {
    throw new UsageError(`--instance-types are ${arch} (${types.join(', ')}), and the worker image is built for ${imageArchs.join(', ')} (WIKIREVERSE_IMAGE_ARCHS); choose ${imageArchs.join('/')} types (e.g. c6i.large) or push an image with ${arch}`);
  }
  return arch;
}
