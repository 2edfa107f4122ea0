import type { DesiredState } from '../model/desired-state.js';
import type { ControllerStatus } from '../status/controller-status.js';
import { formatIssue } from '../text/state-issue.js';
import type { MatrixRow, Mismatch } from '../testbed/probe-matrix.js';
import type { DemoCommands } from './demo-commands.js';
import { formatMatrix, matrixLegend } from './format-matrix.js';
import { passWords } from '../model/reconcile-labels.js';

export interface Screen {
  readonly state: DesiredState;
  /** The state directory as the user named it, e.g. `state`. */
  readonly stateDir: string;
  readonly rows: readonly MatrixRow[];
  readonly mismatches: readonly Mismatch[];
  readonly status: ControllerStatus;
  readonly namespaces: number;
  readonly listen: string;
  /** The state file of a peer (relative to the state dir), for the hint. */
  readonly peerFile: (name: string) => string | null;
  /** Printed once before exiting (--once), rather than refreshed while the user edits. */
  readonly once: boolean;
  /** One `explain` of a denied pair after the first converged pass, printed under the table. */
  readonly explain?: string | null;
  /** The config file the demo wrote (its namespaces as targets) and commands that use it. */
  readonly configFile: string;
  readonly commands: DemoCommands;
}

/** What the demo prints: a header, the table with its legend and verdict, and what to try next. */
export function formatScreen(screen: Screen): string {
  const { state, status } = screen;
  const last = status.lastReconcile;
  const outcome =
    last === null
      ? 'no reconcile yet'
      : `reconcile ${last.id} ${passWords(last.result)} in ${Math.round(last.durationMs)} ms`;
  const lines = [
    `pic-reconciler demo: cell "${state.cell.name}" (domain ${state.cell.domain}), ${state.peers.length} peers, ${state.links.length} linked cells, built of ${screen.namespaces} network namespaces`,
    `controller: ${outcome}; state from ${screen.stateDir}/; the page at ${screen.commands.page} (JSON at /status)`,
    ...status.fileErrors.map((issue) => `  file error: ${formatIssue(issue)} (its last good version stays in force)`),
    '',
    'Who reaches whom, by real TCP connections through the firewall the controller wrote:',
    '',
    formatMatrix(state, screen.rows, screen.mismatches),
    matrixLegend(state),
    screen.mismatches.length === 0
      ? 'Every cell matches the desired state.'
      : `${screen.mismatches.length} cell(s) differ from the desired state (marked !).`,
    '',
    ...(screen.explain == null ? [] : [screen.explain]),
    ...(screen.once
      ? [`Run it without --once (npm run demo, as root) to edit ${screen.stateDir}/ and watch this table follow.`]
      : tryNext(screen)),
  ];
  return `${lines.join('\n')}\n`;
}

/** One edit the user can make, with what it changes, and how to ask the controller itself. */
function tryNext(screen: Screen): string[] {
  const { state, stateDir } = screen;
  const peer = state.peers.find((p) => !p.internet_access) ?? state.peers[0];
  const file = peer === undefined ? null : screen.peerFile(peer.name);
  const edit =
    peer === undefined || file === null
      ? `add a peer: a file ${stateDir}/peers/<name>.json with "kind": "Peer", "name" and "ip"`
      : `edit ${stateDir}/${file}: set "internet_access": ${!peer.internet_access}   (${peer.name}'s internet column turns ${peer.internet_access ? '"no"' : '"internet"'})`;
  const { commands } = screen;
  return [
    `Try:  ${edit}`,
    `Ask, as root, while the demo runs (config ${screen.configFile}, written by the demo: its namespaces as targets):`,
    ...[commands.explain, commands.access, commands.status].flatMap((command) =>
      command === null ? [] : [`      ${command}`],
    ),
    `      open ${commands.page}`,
    'Ctrl-C stops the controller and removes every namespace the demo made.',
  ];
}
