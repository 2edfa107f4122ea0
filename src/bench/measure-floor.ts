import { createNamespace, deleteNamespace, nsRunOk } from '../testbed/netns.js';

/**
 * The floor: what any tool must pay to read, write and re-read this ruleset. In a fresh
 * namespace, timed directly: iptables-save, one iptables-restore --noflush of the final
 * ruleset (`input`, the rendered chains in iptables-save form), iptables-save again.
 * No parsing, no planning, no routes, addresses or Corefile. Returns milliseconds.
 */
export async function measureFloor(input: string): Promise<number> {
  const ns = await createNamespace();
  try {
    const t0 = performance.now();
    await nsRunOk(ns, ['iptables-save']);
    await nsRunOk(ns, ['iptables-restore', '--noflush', '-w'], input);
    await nsRunOk(ns, ['iptables-save']);
    return performance.now() - t0;
  } finally {
    await deleteNamespace(ns);
  }
}
