/**
 * An answer of the packet model as text (a traceroute through the rules, ending in the
 * verdict and the state field that decided it) or as JSON data. Rule text comes from a
 * live dump, so it is escaped before it reaches a terminal.
 */
import { escapeControl } from '../text/state-issue.js';
import type { ConnectionResult, Egress, Leg, Packet, PathStep, RuleSource } from './access-types.js';
import { describeStep } from './evaluate-connection.js';
import { stepRuleJson } from './step-rule-json.js';

export interface Explanation {
  readonly result: ConnectionResult;
  readonly fromLabel: string;
  readonly toLabel: string;
  /** 'live', 'desired' or 'dump DIR'. */
  readonly rules: string;
  /** The iptables backends read, the one holding the cell first; with one, none is named. */
  readonly backends?: readonly { readonly name: string; readonly empty: boolean }[];
}

function sourceText(source: RuleSource | null): string {
  return source === null
    ? ''
    : ` (${escapeControl(source.file)} ${source.pointer === '' ? '/' : escapeControl(source.pointer)})`;
}

/** The backend a step is in, named only when the path crosses more than one. */
type Backend = (step: PathStep) => string;

function stepLine(step: PathStep, n: number, backend: Backend): string {
  const where = `${backend(step)}${step.table} ${step.chain}${step.index === 0 ? ' policy' : ` #${step.index}`}`;
  const rule = escapeControl(step.rule);
  return `  ${String(n).padStart(2)}  ${where.padEnd(30)} ${step.action.padEnd(22)} ${step.owner.padEnd(7)} ${rule}${sourceText(step.source)}`;
}

function egressText(egress: Egress): string {
  if (egress.dev === '') return 'no route';
  if (egress.dev === 'local') return 'delivered to the wireguard target itself';
  return `out ${egress.dev}${egress.via === null ? '' : ` via ${egress.via}`} (table ${egress.table ?? '?'}${egress.rulePriority === null ? '' : `, ip rule ${egress.rulePriority}`})`;
}

function packetText(p: Packet): string {
  return `${p.src}${p.sport === null ? '' : `:${p.sport}`} → ${p.dst}:${p.dport} ${p.proto}`;
}

function verdictText(leg: Leg, backend: Backend): string {
  const step = leg.decidedBy;
  const at =
    step === null
      ? ''
      : ` at ${backend(step)}${step.table} ${describeStep(step)} (${step.owner})${sourceText(step.source)}`;
  return `${leg.verdict}${at}`;
}

function legLines(leg: Leg, backend: Backend): string[] {
  return [
    ...leg.path.map((step, i) => stepLine(step, i + 1, backend)),
    `      routing: ${egressText(leg.egress)}`,
    `      verdict: ${verdictText(leg, backend)}`,
  ];
}

/** ` (nft and legacy)`, or ` (nft; legacy holds no rules)`; nothing for one backend. */
function backendsText(backends: Explanation['backends']): string {
  if (backends === undefined || backends.length < 2) return '';
  const [own, ...others] = backends;
  const empty = others.filter((b) => b.empty).map((b) => b.name);
  const full = others.filter((b) => !b.empty).map((b) => b.name);
  const read = [own?.name ?? '', ...full].join(' and ');
  return ` (${read}${empty.length === 0 ? '' : `; ${empty.join(' and ')} ${empty.length === 1 ? 'holds' : 'hold'} no rules`})`;
}

export function formatExplanationText(e: Explanation): string {
  const { result } = e;
  const lines = [
    `${escapeControl(e.fromLabel)} → ${escapeControl(e.toLabel)}: ${packetText(result.packet)}, in ${escapeControl(result.packet.inIface)}, over the ${e.rules} rules${backendsText(e.backends)}`,
  ];
  for (const spot of result.blindSpots) lines.push(`      blind spot: ${escapeControl(spot)}`);
  const crossed = new Set([...result.first.path, ...(result.reply?.path ?? [])].map((step) => step.ruleset));
  const backend: Backend = crossed.size > 1 ? (step) => `${escapeControl(step.ruleset)} ` : () => '';
  lines.push(...legLines(result.first, backend));
  if (result.first.out !== null) lines.push(`      leaves as ${packetText(result.first.out)}`);
  if (result.reply !== null) {
    lines.push(`reply (ESTABLISHED, NAT undone):`);
    lines.push(...legLines(result.reply, backend));
  }
  const reaches = result.reaches === null ? 'unknown' : result.reaches ? 'yes' : 'no';
  lines.push(`reaches: ${reaches} — ${escapeControl(result.reason)}`);
  return `${lines.join('\n')}\n`;
}

function stepJson(step: PathStep | null): Record<string, unknown> | null {
  return step === null ? null : { ...stepRuleJson(step), action: step.action };
}

function egressJson(egress: Egress): Record<string, unknown> {
  return { dev: egress.dev, via: egress.via, table: egress.table, rule_priority: egress.rulePriority };
}

export function explanationToJson(e: Explanation): Record<string, unknown> {
  const { result } = e;
  const reply = result.reply;
  return {
    from: e.fromLabel,
    to: e.toLabel,
    rules: e.rules,
    verdict: result.first.verdict,
    reaches: result.reaches,
    reason: result.reason,
    blind_spots: result.blindSpots,
    packet: result.packet,
    out: result.first.out,
    egress: egressJson(result.first.egress),
    decided_by: stepJson(result.first.decidedBy),
    path: result.first.path.map(stepJson),
    reply:
      reply === null
        ? null
        : {
            verdict: reply.verdict,
            decided_by: stepJson(reply.decidedBy),
            egress: egressJson(reply.egress),
            path: reply.path.map(stepJson),
            reason: reply.reason,
          },
  };
}
