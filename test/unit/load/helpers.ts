import type { LoadedState } from '../../../src/load/loaded-state.js';
import { formatIssue } from '../../../src/text/state-issue.js';
import type { StateFile } from '../../../src/load/validate-state.js';

/** One issue line: `file: /pointer: message`, nothing on a second line. */
export const ISSUE_LINE = /^[^\n\r]+: \/[^\n\r]*: [^\n\r]+$/;

export const CELL = { kind: 'Cell', name: 'home' } as const;

/** In-memory state files: strings are raw file text, anything else is written as JSON. */
export function stateFiles(record: Record<string, unknown>): StateFile[] {
  return Object.entries(record).map(([file, value]) => ({
    file,
    text: typeof value === 'string' ? value : JSON.stringify(value, null, 2),
  }));
}

export function issueLines(loaded: LoadedState): string[] {
  return loaded.issues.map(formatIssue);
}

export function peer(name: string, ip: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'Peer', name, ip, ...extra };
}

export function link(name: string, vpnSubnet: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { kind: 'CellLink', name, vpn_subnet: vpnSubnet, ...extra };
}
