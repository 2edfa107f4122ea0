import { z } from 'zod';
import type { Action } from '../model/plan.js';

/**
 * The plan's actions as a saved plan file holds them (model/plan.ts), checked field by field
 * when the file is read back: what goes into iptables-restore or an `ip` batch is one line of
 * printable text, names and addresses have their own shapes. A file that passes is still only
 * applied when it equals what would be planned now (apply-saved-plan.ts).
 */

/** One line without control characters: a rule, a reason. */
const line = z.string().regex(/^[^\u0000-\u001f\u007f]*$/, 'expected one line without control characters');
const table = z.enum(['filter', 'nat']);
const chain = z.string().regex(/^[A-Za-z0-9_.-]{1,28}$/, 'expected an iptables chain name');
const ipv4 = z.string().regex(/^\d{1,3}(\.\d{1,3}){3}$/, 'expected a dotted IPv4 address');
const dev = z.string().regex(/^[A-Za-z0-9_.@:-]{1,15}$/, 'expected an interface name');
const tableId = z.string().regex(/^(main|\d{1,10})$/, 'expected main or a table number');
const protocol = z.number().int().min(0).max(255).nullable().optional();

const edit = z.strictObject({ op: z.enum(['delete', 'insert']), index: z.number().int().min(1), rule: line });
const address = z.strictObject({ address: ipv4, prefixlen: z.number().int().min(0).max(32), label: line });
const policyRule = z.strictObject({
  priority: z.number().int().min(0),
  src: ipv4,
  table: tableId,
  suppressPrefixlength: z.number().int().min(0).max(32).nullable(),
});
const route = z.strictObject({
  table: tableId,
  dst: z.string().regex(/^(default|\d{1,3}(\.\d{1,3}){3}\/\d{1,2})$/, 'expected default or a CIDR'),
  gateway: z.union([ipv4, z.literal('')]),
  dev,
});

export const actionSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('create-chain'), table, chain, rules: z.array(line), reason: line }),
  z.strictObject({ kind: z.literal('update-chain'), table, chain, edits: z.array(edit), reason: line }),
  z.strictObject({ kind: z.literal('delete-chain'), table, chain, rules: z.array(line), reason: line }),
  z.strictObject({ kind: z.literal('insert-jump'), table, chain, rule: line, reason: line }),
  z.strictObject({ kind: z.literal('delete-rule'), table, chain, rule: line, reason: line }),
  z.strictObject({ kind: z.literal('add-address'), dev, address, reason: line }),
  z.strictObject({ kind: z.literal('delete-address'), dev, address, reason: line }),
  z.strictObject({ kind: z.literal('add-policy-rule'), rule: policyRule, reason: line }),
  z.strictObject({ kind: z.literal('delete-policy-rule'), rule: policyRule, reason: line, protocol }),
  z.strictObject({ kind: z.literal('add-route'), route, reason: line }),
  z.strictObject({ kind: z.literal('delete-route'), route, reason: line, protocol }),
  z.strictObject({
    kind: z.literal('write-corefile'),
    text: z.string(),
    previous: z.string().nullable(),
    reason: line,
  }),
]);

/** The schema's output is an Action (checked here, so the two cannot drift apart). */
export type SavedAction = z.infer<typeof actionSchema>;
export const asAction = (action: SavedAction): Action => action satisfies Action;
