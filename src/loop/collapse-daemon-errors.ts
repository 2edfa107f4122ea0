import { SOCKET_CAUSES } from '../model/socket-causes.js';

const CAUSES = [...new Set(Object.values(SOCKET_CAUSES))];

/**
 * One line per unreachable Docker daemon, not one per target and command: when the socket says
 * "permission denied", every part of every container fails with the same words, and the
 * operator needs to read it once. Other errors pass through in their order.
 */
export function collapseDaemonErrors(errors: readonly string[]): string[] {
  const out: string[] = [];
  const byDaemon = new Map<string, { readonly at: number; readonly who: string[] }>();
  for (const error of errors) {
    const daemon = daemonFailure(error);
    if (daemon === null) {
      out.push(error);
      continue;
    }
    const seen = byDaemon.get(daemon.what);
    if (seen === undefined) {
      byDaemon.set(daemon.what, { at: out.length, who: [daemon.who] });
      out.push(daemon.what);
    } else if (!seen.who.includes(daemon.who)) seen.who.push(daemon.who);
  }
  for (const [what, { at, who }] of byDaemon) out[at] = `${what} (${who.join(', ')})`;
  return out;
}

/** `docker:cell-wireguard: iptables-save: /var/run/docker.sock: permission denied: …` → the daemon part and the target. */
function daemonFailure(error: string): { readonly what: string; readonly who: string } | null {
  const cause = CAUSES.find((c) => error.endsWith(`: ${c}`));
  if (cause === undefined || !error.startsWith('docker:')) return null;
  const head = error.slice(0, error.length - cause.length - 2);
  const endpoint = head.slice(head.lastIndexOf(': ') + 2);
  const who = error.slice(0, error.indexOf(': '));
  return { what: `${endpoint}: ${cause}`, who };
}
