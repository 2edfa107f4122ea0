import type { DesiredState } from '../model/desired-state.js';
import { createNamespace, deleteNamespace, nsRunOk, run, runOk } from '../testbed/netns.js';
import { removeContainer, startContainer } from './docker-cell.js';
import { BARE_API_IP } from '../testbed/bare-cell.js';
import { seedCommands } from './seed-commands.js';

export interface ImperativeRun {
  readonly where: 'netns' | 'docker';
  readonly peers: number;
  readonly processes: number;
  readonly ms: number;
  /** Rules in FORWARD afterwards: the sanity check that every command took effect. */
  readonly forwardRules: number;
}

function countForward(dump: string): number {
  return dump.split('\n').filter((line) => line.startsWith('-A FORWARD ')).length;
}

/** The seed's way, in a fresh namespace: `ip netns exec NS iptables ...` once per rule. */
export async function measureImperativeNetns(state: DesiredState): Promise<ImperativeRun> {
  const commands = seedCommands(state, BARE_API_IP);
  const ns = await createNamespace();
  try {
    const t0 = performance.now();
    for (const argv of commands) await nsRunOk(ns, argv);
    const ms = performance.now() - t0;
    return {
      where: 'netns',
      peers: state.peers.length,
      processes: commands.length,
      ms,
      forwardRules: countForward(await nsRunOk(ns, ['iptables-save'])),
    };
  } finally {
    await deleteNamespace(ns);
  }
}

/** The seed's way in a fresh container: `docker exec NAME iptables ...` (the docker CLI, as the seed calls it) once per rule. */
export async function measureImperativeDocker(state: DesiredState, image: string): Promise<ImperativeRun> {
  const commands = seedCommands(state, BARE_API_IP);
  const name = await startContainer(image, 'seed');
  try {
    const t0 = performance.now();
    for (const argv of commands) {
      const result = await run(['docker', 'exec', name, ...argv]);
      if (result.code !== 0)
        throw new Error(`docker exec ${argv.join(' ')}: exit ${result.code}: ${result.stderr.trim()}`);
    }
    const ms = performance.now() - t0;
    return {
      where: 'docker',
      peers: state.peers.length,
      processes: commands.length,
      ms,
      forwardRules: countForward(await runOk(['docker', 'exec', name, 'iptables-save'])),
    };
  } finally {
    await removeContainer(name);
  }
}
