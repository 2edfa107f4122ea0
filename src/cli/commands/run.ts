import { loadControllerConfig } from '../../config/controller-config.js';
import { Controller } from '../../loop/controller.js';
import { createLogger } from '../../loop/logger.js';
import type { CliValues } from '../main.js';
import { printError, requireOption } from '../cli-output.js';
import { dockerClientFor, openCellTargets, roleContainers } from '../open-cell-targets.js';

/** `run`: the controller loop, until SIGTERM or SIGINT; exits 0 after finishing the pass in flight. */
export async function runController(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const configResult = await loadControllerConfig(values.config);
  if (!configResult.ok) {
    printError(configResult.error);
    return 1;
  }
  const config = values.listen ? { ...configResult.config, listen: values.listen } : configResult.config;
  const logger = createLogger();
  const controller = new Controller({
    stateDir,
    config,
    targets: openCellTargets(config),
    docker: dockerClientFor(config),
    containers: roleContainers(config),
    logger,
    allowMassDelete: values['allow-mass-delete'],
  });
  try {
    await controller.start();
  } catch (error) {
    printError(`cannot start: ${(error as Error).message}`);
    await controller.stop();
    return 1;
  }
  logger.info({ state: stateDir, targets: config.targets }, 'controller started');
  await new Promise<void>((done) => {
    const shutdown = (signal: string): void => {
      logger.info({ signal }, 'stopping: finishing the reconcile in flight');
      done();
    };
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    process.once('SIGINT', () => shutdown('SIGINT'));
  });
  await controller.stop();
  logger.info('stopped');
  logger.flush();
  return 0;
}
