import { NAMESPACE_PREFIX, runOk } from '../../src/testbed/netns.js';

/** This process's namespaces the kernel still knows (for leak checks). */
export async function listOwnNamespaces(): Promise<string[]> {
  const out = await runOk(['ip', 'netns', 'list']);
  return out
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}
