import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { PassListener, WallClock } from '../status/pass-reporter.js';
import { matrixDifferences } from '../model/access-matrix-view.js';
import type { ControllerStatus } from '../status/controller-status.js';
import { deriveEvents, type NotifyInput } from './derive-events.js';
import { createWebhookNotifier } from './webhook-notifier.js';

/** How long stop() lets queued events drain before it drops them (counted as `closed`). */
export const NOTIFY_CLOSE_DEADLINE_MS = 2_000;

export interface PassNotifier {
  readonly listener: PassListener;
  close(): Promise<void>;
}

function inputOf(status: ControllerStatus, driftRepairs: Readonly<Record<string, number>> = {}): NotifyInput {
  // Access is compared only while a matrix is computed: no matrix is "not checked", not "no difference".
  return status.matrix === null
    ? { status, driftRepairs }
    : { status, driftRepairs, accessDifferences: matrixDifferences(status.matrix) };
}

/**
 * The controller's webhook: after each recorded pass, the events between the status before and
 * after it go to the notifier's queue. Publishing returns at once, so a slow or dead receiver
 * never delays a pass; failures are logged as warnings.
 */
export function createPassNotifier(
  webhook: string,
  registry: Registry,
  logger: Logger,
  clock: WallClock,
): PassNotifier {
  const notifier = createWebhookNotifier({ webhook, registry, onError: (message) => logger.warn(message) });
  return {
    listener(previous, next, driftRepairs) {
      notifier.publish(deriveEvents(inputOf(previous), inputOf(next, driftRepairs), next.cell ?? '', clock.date()));
    },
    close: () => notifier.close(NOTIFY_CLOSE_DEADLINE_MS),
  };
}
