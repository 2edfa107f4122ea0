import { configFileJson, layoutOf } from '../../config/controller-config.js';
import { Controller } from '../../loop/controller.js';
import { createLogger } from '../../loop/logger.js';
import type { CliValues } from '../cli-values.js';
import { takeCellForWriting } from '../cell-writer.js';
import { printError, readConfig, requireOption } from '../cli-common.js';
import { dockerClientFor, openCellTargets, roleContainers } from '../../targets/open-cell-targets.js';

/** `run`: the controller loop, until SIGTERM or SIGINT; exits 0 after finishing the pass in flight. */
export async function runController(values: CliValues): Promise<number> {
  const stateDir = requireOption(values.state, '--state');
  if (stateDir === null) return 1;
  const config = await readConfig(values);
  if (config === null) return 1;
  let targets;
  try {
    targets = openCellTargets(config);
  } catch (error) {
    printError((error as Error).message);
    return 1;
  }
  // The lock, and a confirm window: refused while one is open, rolled back first when its process is gone.
  if (!(await takeCellForWriting(config, stateDir, targets, layoutOf(config)))) return 1;
  const logger = createLogger();
  const controller = new Controller({
    stateDir,
    config,
    targets,
    docker: dockerClientFor(config),
    containers: roleContainers(config),
    logger,
    allowMassDelete: values['allow-mass-delete'],
  });
  // Listen before starting: a signal that arrives while starting must still end in a clean stop.
  const stopping = new Promise<string>((done) => {
    process.once('SIGTERM', () => done('SIGTERM'));
    process.once('SIGINT', () => done('SIGINT'));
  });
  try {
    await controller.start();
  } catch (error) {
    printError(`cannot start: ${(error as Error).message}`);
    await controller.stop();
    return 1;
  }
  logger.info(
    { state: stateDir, targets: configFileJson(config).targets, allowMassDelete: values['allow-mass-delete'] },
    'controller started',
  );
  const signal = await stopping;
  logger.info({ signal }, 'stopping: finishing the reconcile in flight');
  await controller.stop();
  logger.info('stopped');
  logger.flush();
  return 0;
}
