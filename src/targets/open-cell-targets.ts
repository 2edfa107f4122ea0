import type Docker from 'dockerode';
import type { ControllerConfig } from '../config/controller-config.js';
import type { CellTargets } from '../model/cell-targets.js';
import { LOCATOR_ROLES, type CommandLocator } from '../model/locator.js';
import type { Target } from '../model/target.js';
import { createApiAddressSource } from './api-address.js';
import { createDnsReloader } from './dns-reloader.js';
import { dockerClient } from './docker-client.js';
import { createDockerTarget } from './docker-target.js';
import type { TargetOptions } from './exec-defaults.js';
import { createLocalTarget } from './local-target.js';
import { createNetnsTarget } from './netns-target.js';

/** The cell's targets from the config's locators (parsed, and checked for their roles, by the config schema). */
export function openCellTargets(config: ControllerConfig): CellTargets {
  return {
    wireguard: openTarget(config.targets.wireguard),
    caddy: openTarget(config.targets.caddy),
    api: createApiAddressSource(config.targets.api),
    dns: createDnsReloader(config.targets.dns),
    ...(config.targets.dns.kind === 'none' ? {} : { dnsAddress: createApiAddressSource(config.targets.dns) }),
    corefilePath: config.corefile,
  };
}

/** The target where the wireguard or caddy role's commands run. */
export function openTarget(locator: CommandLocator, options?: TargetOptions): Target {
  switch (locator.kind) {
    case 'docker':
      return createDockerTarget(locator.name, options);
    case 'netns':
      return createNetnsTarget(locator.name, options);
    case 'local':
      return createLocalTarget(options);
  }
}

/** The names of the role containers, for following their lifecycle in Docker's events. */
export function roleContainers(config: ControllerConfig): string[] {
  return LOCATOR_ROLES.flatMap((role) => {
    const locator = config.targets[role];
    return locator.kind === 'docker' ? [locator.name] : [];
  });
}

/** A Docker client when any role lives in a container, else null (no event stream to follow). */
export function dockerClientFor(config: ControllerConfig): Docker | null {
  return roleContainers(config).length > 0 ? dockerClient() : null;
}
