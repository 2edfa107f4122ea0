import type { DesiredState, Resource } from '../model/desired-state.js';
import type { ParsedFile } from './parse-state-file.js';
import type { StateIssue } from '../text/state-issue.js';

/** `Kind/name`, e.g. `Peer/alice`: unique within a valid state. */
export type ResourceKey = string;

export function resourceKey(resource: Pick<Resource, 'kind' | 'name'>): ResourceKey {
  return `${resource.kind}/${resource.name}`;
}

/**
 * The outcome of one load: the desired state, what went wrong, and what each file
 * contributed, so the next load can keep a broken file's last good resources.
 *
 * Plain data except `fileResources`; persist with serializeLoadedState. When `state` is
 * null, nothing can be reconciled; keep passing the last LoadedState that had a state
 * as `previous`, so last-known-good survives an outage of the Cell file.
 */
export interface LoadedState {
  /** Deep-frozen; null when no valid Cell can be had. */
  readonly state: DesiredState | null;
  readonly issues: readonly StateIssue[];
  /** The resources each file contributed to `state` (its own, or its last good ones), by file. */
  readonly fileResources: ReadonlyMap<string, readonly ResourceKey[]>;
  /** Files that failed and contribute their previous version instead. */
  readonly fallbackFiles: readonly string[];
  /**
   * Files (or unreadable folders) that failed and have no usable previous version: their
   * resources are unknown, so the controller must not delete live rules it cannot attribute.
   */
  readonly unresolvedFiles: readonly string[];
  /** Where each resource read in this load sits in its file (`` or `/<index>`); a fallback's is unknown. */
  readonly resourcePointers?: ReadonlyMap<ResourceKey, string>;
  /** Each file read in this load, its text and its parse: the next load parses only the files whose text changed. Not persisted. */
  readonly parses?: ReadonlyMap<string, FileParse>;
}

export interface FileParse {
  readonly text: string;
  readonly parsed: ParsedFile;
}

/** All resources of a state, by key. */
export function resourcesByKey(state: DesiredState | null): Map<ResourceKey, Resource> {
  const map = new Map<ResourceKey, Resource>();
  if (state === null) return map;
  for (const resource of [state.cell, ...state.peers, ...state.links, ...(state.tests ?? [])])
    map.set(resourceKey(resource), resource);
  return map;
}
