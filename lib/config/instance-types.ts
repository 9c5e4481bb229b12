/**
 * Memory of the EC2 instance types this project accepts, in GiB, derived from family and size.
 * Source: the EC2 instance type pages (general purpose m*, memory optimized r*, compute optimized c*, burstable t3/t4g).
 * Only the families listed here are accepted: a typo or an exotic family fails config validation with the list.
 */

/** GiB of memory per vCPU for each accepted family. */
const GIB_PER_VCPU: Readonly<Record<string, number>> = {
  m5: 4,
  m5a: 4,
  m6i: 4,
  m6a: 4,
  m6g: 4,
  m7i: 4,
  m7a: 4,
  m7g: 4,
  m8g: 4,
  r5: 8,
  r5a: 8,
  r6i: 8,
  r6a: 8,
  r6g: 8,
  r7i: 8,
  r7a: 8,
  r7g: 8,
  r8g: 8,
  c5: 2,
  c6i: 2,
  c6a: 2,
  c6g: 2,
  c7i: 2,
  c7a: 2,
  c7g: 2,
  c8g: 2,
  i3: 7.625,
  i4i: 8,
  im4gn: 4,
  is4gen: 6,
};

const VCPU_BY_SIZE: Readonly<Record<string, number>> = {
  medium: 1,
  large: 2,
  xlarge: 4,
  '2xlarge': 8,
  '4xlarge': 16,
  '8xlarge': 32,
  '12xlarge': 48,
  '16xlarge': 64,
  '24xlarge': 96,
  '32xlarge': 128,
  '48xlarge': 192,
};

/** Burstable types have their own memory table. */
const BURSTABLE_GIB: Readonly<Record<string, number>> = {
  't3.small': 2,
  't3.medium': 4,
  't3.large': 8,
  't3.xlarge': 16,
  't3.2xlarge': 32,
  't3a.small': 2,
  't3a.medium': 4,
  't3a.large': 8,
  't3a.xlarge': 16,
  't3a.2xlarge': 32,
  't4g.small': 2,
  't4g.medium': 4,
  't4g.large': 8,
  't4g.xlarge': 16,
  't4g.2xlarge': 32,
};

const ARM_FAMILIES = /^(m6g|m7g|m8g|r6g|r7g|r8g|c6g|c7g|c8g|im4gn|is4gen|t4g)$/;

export const ACCEPTED_FAMILIES = [...Object.keys(GIB_PER_VCPU), 't3', 't3a', 't4g'].sort();

/** Memory in GiB of an instance type, or undefined when the family or size is not one we know. */
export function instanceMemoryGib(instanceType: string): number | undefined {
  if (BURSTABLE_GIB[instanceType] !== undefined) return BURSTABLE_GIB[instanceType];
  const [family, size] = instanceType.split('.');
  const perVcpu = GIB_PER_VCPU[family ?? ''];
  const vcpus = VCPU_BY_SIZE[size ?? ''];
  if (perVcpu === undefined || vcpus === undefined) return undefined;
  // Only the Graviton families come in "medium" (1 vCPU); c6i.medium and friends do not exist.
  if (size === 'medium' && !ARM_FAMILIES.test(family ?? '')) return undefined;
  return perVcpu * vcpus;
}

/** CPU architecture of the instance type ("arm64" for Graviton families). */
export function instanceArchitecture(instanceType: string): 'x86_64' | 'arm64' {
  return ARM_FAMILIES.test(instanceType.split('.')[0] ?? '') ? 'arm64' : 'x86_64';
}

/**
 * Elasticsearch heap for a node: half of memory, capped below 31 GiB so compressed object pointers stay on
 * (Elasticsearch's "Set the JVM heap size" guidance). Returned in MiB.
 */
export function heapMiB(instanceType: string): number {
  const gib = instanceMemoryGib(instanceType);
  if (gib === undefined) throw new Error(`unknown instance type ${instanceType}`);
  return Math.min(Math.floor((gib * 1024) / 2), 31 * 1024);
}
