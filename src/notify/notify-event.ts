/** The events a webhook receives, one JSON object per POST. */
export const NOTIFY_EVENTS = [
  'drift_repaired',
  'not_converged',
  'file_broken',
  'file_recovered',
  'access_diverged',
  'deletion_held_back',
] as const;

export type NotifyEventName = (typeof NOTIFY_EVENTS)[number];

export interface NotifyEvent {
  readonly event: NotifyEventName;
  /** ISO 8601, when the controller saw it. */
  readonly time: string;
  /** The cell's name from the state. */
  readonly cell: string;
  /** The reconcile id it belongs to; null for a load (a file broken before any pass). */
  readonly reconcile: string | null;
  /** One line for a person. */
  readonly summary: string;
  readonly details: Readonly<Record<string, unknown>>;
}
