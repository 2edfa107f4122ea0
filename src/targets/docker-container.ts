import { classifyDockerFailure, dockerClient, dockerExecError } from './docker-client.js';
import { withAbortableDeadline } from './deadline.js';
import { DEFAULT_EXEC_TIMEOUT_MS } from './exec-defaults.js';

/**
 * The container's IPv4 address on its first network that has one (for `api: docker:NAME`).
 * null when the container does not exist or has no address (stopped); rejects when Docker
 * cannot be asked, so a daemon hiccup is never mistaken for "the api is gone".
 */
export async function dockerContainerAddress(name: string, timeoutMs = DEFAULT_EXEC_TIMEOUT_MS): Promise<string | null> {
  try {
    const info = await withAbortableDeadline(timeoutMs, (abort) => dockerClient().getContainer(name).inspect({ abortSignal: abort }));
    const networks = Object.values(info.NetworkSettings.Networks ?? {});
    return networks.map((network) => network.IPAddress).find((address) => address !== '') ?? null;
  } catch (error) {
    if (classifyDockerFailure(error).kind === 'no-container') return null;
    throw dockerExecError(`docker:${name}`, ['inspect'], error);
  }
}

/** Sends a signal to the container's main process (CoreDNS reloads its Corefile on SIGUSR1). */
export async function dockerSignal(name: string, signal: NodeJS.Signals, timeoutMs = DEFAULT_EXEC_TIMEOUT_MS): Promise<void> {
  try {
    await withAbortableDeadline(timeoutMs, (abort) => dockerClient().getContainer(name).kill({ signal, abortSignal: abort }));
  } catch (error) {
    throw dockerExecError(`docker:${name}`, ['kill', '-s', signal], error);
  }
}
