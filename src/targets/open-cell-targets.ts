import type { ControllerConfig } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import { dockerClient } from './docker-client.js';
import type Docker from 'dockerode';
import { parseLocator, resolveApiAddressSource, resolveDnsReloader, resolveTarget, type LocatorResult } from './resolve-locator.js';

function unwrap<T>(result: LocatorResult<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** The cell's targets from the config's locators; a bad locator is a one-line error. */
export function openCellTargets(config: ControllerConfig): CellTargets {
  return {
    wireguard: unwrap(resolveTarget(config.targets.wireguard, 'wireguard')),
    caddy: unwrap(resolveTarget(config.targets.caddy, 'caddy')),
    api: unwrap(resolveApiAddressSource(config.targets.api)),
    dns: unwrap(resolveDnsReloader(config.targets.dns)),
    corefilePath: config.corefile,
  };
}

/** The names of the role containers, for following their lifecycle in Docker's events. */
export function roleContainers(config: ControllerConfig): string[] {
  const roles = ['wireguard', 'caddy', 'dns', 'api'] as const;
  return roles.flatMap((role) => {
    const parsed = parseLocator(config.targets[role], role);
    return parsed.ok && parsed.value.kind === 'docker' ? [parsed.value.name] : [];
  });
}

/** A Docker client when any role lives in a container, else null (no event stream to follow). */
export function dockerClientFor(config: ControllerConfig): Docker | null {
  return roleContainers(config).length > 0 ? dockerClient() : null;
}
