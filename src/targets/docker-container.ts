import type Docker from 'dockerode';
import { chooseApiAddress } from './choose-api-address.js';
import { classifyDockerFailure, dockerClient, dockerExecError } from './docker-client.js';
import { withAbortableDeadline } from './deadline.js';
import { DEFAULT_EXEC_TIMEOUT_MS } from './exec-defaults.js';

/**
 * The container's IPv4 address for `api: docker:NAME`: on the network inside the Cell's
 * `ip_range` (chooseApiAddress). null when the container does not exist or has no address
 * (stopped); rejects when Docker cannot be asked, so a daemon hiccup is never mistaken for
 * "the api is gone", and when no single network is inside `ip_range`.
 */
export async function dockerContainerAddress(
  name: string,
  ipRange: string | null = null,
  timeoutMs = DEFAULT_EXEC_TIMEOUT_MS,
): Promise<string | null> {
  let info: Awaited<ReturnType<Docker.Container['inspect']>>;
  try {
    info = await withAbortableDeadline(timeoutMs, (abort) =>
      dockerClient().getContainer(name).inspect({ abortSignal: abort }),
    );
  } catch (error) {
    if (classifyDockerFailure(error).kind === 'no-container') return null;
    throw dockerExecError(`docker:${name}`, ['inspect'], error);
  }
  const networks = Object.entries(info.NetworkSettings.Networks ?? {}).map(([network, settings]) => ({
    network,
    address: settings.IPAddress,
  }));
  return chooseApiAddress(`docker:${name}`, networks, ipRange);
}

/** Sends a signal to the container's main process (CoreDNS reloads its Corefile on SIGUSR1). */
export async function dockerSignal(
  name: string,
  signal: NodeJS.Signals,
  timeoutMs = DEFAULT_EXEC_TIMEOUT_MS,
): Promise<void> {
  try {
    await withAbortableDeadline(timeoutMs, (abort) =>
      dockerClient().getContainer(name).kill({ signal, abortSignal: abort }),
    );
  } catch (error) {
    throw dockerExecError(`docker:${name}`, ['kill', '-s', signal], error);
  }
}
