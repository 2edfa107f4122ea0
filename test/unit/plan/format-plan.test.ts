import { describe, expect, it } from 'vitest';
import type { Plan } from '../../../src/model/plan.js';
import { computeChainEdits } from '../../../src/plan/chain-edits.js';
import { formatPlanText, planToJson, summarizePlan } from '../../../src/plan/format-plan.js';
import { jumpRule } from './fixtures.js';

const plan: Plan = {
  actions: [
    {
      kind: 'create-chain',
      table: 'filter',
      chain: 'PIC-PEER-10-0-0-4',
      rules: ['-d 172.20.0.21/32 -j ACCEPT', '-j DROP'],
      reason: 'chain missing',
    },
    {
      kind: 'update-chain',
      table: 'filter',
      chain: 'PIC-FORWARD',
      edits: computeChainEdits(
        ['-s 10.0.0.2/32 -j PIC-PEER-10-0-0-2', '-s 10.0.0.3/32 -j PIC-PEER-10-0-0-3', '-s 10.0.0.0/24 -j DROP'],
        [
          '-s 10.0.0.2/32 -j PIC-PEER-10-0-0-2',
          '-s 10.0.0.4/32 -j PIC-PEER-10-0-0-4',
          '-s 10.0.0.0/24 -j DROP',
          '-j RETURN',
        ],
      ),
      reason: '3 rules differ (2 to insert, 1 to delete)',
    },
    {
      kind: 'delete-rule',
      table: 'filter',
      chain: 'FORWARD',
      rule: '-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT',
      reason: 'legacy seed rule (port 3000 hole above every peer rule)',
    },
    { kind: 'insert-jump', table: 'filter', chain: 'FORWARD', rule: jumpRule('PIC-FORWARD'), reason: 'jump missing' },
    {
      kind: 'delete-chain',
      table: 'filter',
      chain: 'PIC-PEER-10-0-0-3',
      rules: ['-j ACCEPT'],
      reason: 'chain not in desired state',
    },
    {
      kind: 'add-policy-rule',
      rule: { priority: 10000, src: '10.0.0.4', table: 'main', suppressPrefixlength: 0 },
      reason: 'policy rule missing',
    },
    {
      kind: 'add-route',
      route: { table: '1234', dst: 'default', gateway: '10.0.1.1', dev: 'wg0' },
      reason: 'route missing',
    },
    {
      kind: 'delete-address',
      dev: 'eth0',
      address: { address: '172.20.0.25', prefixlen: 16, label: 'eth0:pic' },
      reason: 'address not in desired state',
    },
    {
      kind: 'write-corefile',
      previous: '. {\n    forward . 8.8.8.8\n    cache\n    log\n    health\n}\ncell {\n    file /data/cell.zone\n}\n',
      text: '. {\n    forward . 8.8.8.8 1.1.1.1\n    cache\n    log\n    health\n}\ncell {\n    file /data/cell.zone\n    acl calendar.cell. {\n        block net 10.0.0.3/32\n    }\n}\n',
      reason: '5 lines differ',
    },
  ],
  skipped: [],
};

describe('formatPlanText', () => {
  it('prints a plan like terraform, grouped by target', () => {
    expect(formatPlanText(plan)).toMatchInlineSnapshot(`
      "wireguard iptables:
        + chain filter PIC-PEER-10-0-0-4  # chain missing
            + -A PIC-PEER-10-0-0-4 -d 172.20.0.21/32 -j ACCEPT
            + -A PIC-PEER-10-0-0-4 -j DROP
        ~ chain filter PIC-FORWARD  # 3 rules differ (2 to insert, 1 to delete)
            - -A PIC-FORWARD -s 10.0.0.3/32 -j PIC-PEER-10-0-0-3
            + -A PIC-FORWARD -s 10.0.0.4/32 -j PIC-PEER-10-0-0-4
            + -A PIC-FORWARD -j RETURN
        - filter -A FORWARD -i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT  # legacy seed rule (port 3000 hole above every peer rule)
        + filter -I FORWARD 1 -m comment --comment "pic:jump" -j PIC-FORWARD  # jump missing
        - chain filter PIC-PEER-10-0-0-3  # chain not in desired state
            - -A PIC-PEER-10-0-0-3 -j ACCEPT

      wireguard routing:
        + ip rule priority 10000 from 10.0.0.4 lookup main suppress_prefixlength 0  # policy rule missing
        + ip route default via 10.0.1.1 dev wg0 table 1234  # route missing

      caddy addresses:
        - 172.20.0.25/16 dev eth0 label eth0:pic  # address not in desired state

      dns Corefile:
        ~ Corefile  # 5 lines differ
              . {
            -     forward . 8.8.8.8
            +     forward . 8.8.8.8 1.1.1.1
                  cache
              ...
                  file /data/cell.zone
            +     acl calendar.cell. {
            +         block net 10.0.0.3/32
            +     }
              }

      Plan: 4 to add, 2 to change, 3 to destroy.
      "
    `);
  });

  it('says so when nothing is to be done', () => {
    expect(formatPlanText({ actions: [], skipped: [] })).toMatchInlineSnapshot(`
      "No changes. The cell matches the desired state.
      "
    `);
    expect(formatPlanText({ actions: [], skipped: [{ part: 'iptables', error: 'no container' }] }))
      .toMatchInlineSnapshot(`
      "Not planned (could not observe, or could not read exactly): iptables.
      No changes in the parts observed.
      "
    `);
  });

  it('shows a new Corefile in full', () => {
    expect(
      formatPlanText({
        actions: [{ kind: 'write-corefile', previous: null, text: '. {\n    cache\n}\n', reason: 'file missing' }],
        skipped: [],
      }),
    ).toMatchInlineSnapshot(`
      "dns Corefile:
        + Corefile  # file missing
            + . {
            +     cache
            + }

      Plan: 1 to add, 0 to change, 0 to destroy.
      "
    `);
  });
});

describe('summarizePlan and planToJson', () => {
  it('counts adds, changes and destroys', () => {
    expect(summarizePlan(plan)).toEqual({ add: 4, change: 2, destroy: 3 });
  });

  it('is plain data that survives JSON', () => {
    const json = planToJson(plan);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.summary).toEqual({ add: 4, change: 2, destroy: 3 });
    expect(json.actions).toHaveLength(plan.actions.length);
  });
});
