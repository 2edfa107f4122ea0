import { describe, expect, it } from 'vitest';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { loadRules, modelAnswer, tcpReaches, useRouterBed } from '../helpers/router-bed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

const ESTABLISHED = '-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT';
const DROP_POLICY = [':INPUT ACCEPT [0:0]', ':FORWARD DROP [0:0]', ':OUTPUT ACCEPT [0:0]'];

interface Case {
  readonly name: string;
  readonly filter?: readonly string[];
  readonly nat?: readonly string[];
  /** What real TCP does (checked too, so the case tests what it says). */
  readonly reaches: boolean;
}

/**
 * Matches and targets the model can decide, each loaded into a namespace router with
 * iptables-restore: the model's answer (over the router's own iptables-save) is confident and is
 * what a real TCP connection through the router does. Before, each was `unknown`.
 */
const CASES: readonly Case[] = [
  {
    name: 'a dotted, non-contiguous netmask that holds the client',
    filter: [...DROP_POLICY, '-A FORWARD -s 192.168.0.10/255.255.0.255 -j ACCEPT', ESTABLISHED],
    reaches: true,
  },
  {
    name: 'a dotted netmask that does not',
    filter: [...DROP_POLICY, '-A FORWARD -s 192.168.0.11/255.255.0.255 -j ACCEPT', ESTABLISHED],
    reaches: false,
  },
  {
    name: 'iprange --src-range holding the client, --dst-range for the answer',
    filter: [
      ...DROP_POLICY,
      '-A FORWARD -m iprange --src-range 192.168.134.5-192.168.134.20 -j ACCEPT',
      '-A FORWARD -m iprange --dst-range 192.168.134.5-192.168.134.20 -j ACCEPT',
    ],
    reaches: true,
  },
  {
    name: 'iprange that misses the client',
    filter: [...DROP_POLICY, '-A FORWARD -m iprange --src-range 192.168.134.11-192.168.134.20 -j ACCEPT', ESTABLISHED],
    reaches: false,
  },
  {
    name: 'addrtype --dst-type BROADCAST,MULTICAST dropped, UNICAST accepted',
    filter: [
      ...DROP_POLICY,
      '-A FORWARD -m addrtype --dst-type BROADCAST,MULTICAST -j DROP',
      '-A FORWARD -m addrtype --src-type UNICAST --dst-type UNICAST -j ACCEPT',
    ],
    reaches: true,
  },
  {
    name: 'addrtype --src-type LOCAL does not hold a forwarded client',
    filter: [...DROP_POLICY, '-A FORWARD -m addrtype --src-type LOCAL -j ACCEPT', ESTABLISHED],
    reaches: false,
  },
  {
    name: 'conntrack --ctproto tcp with --ctstate',
    filter: [...DROP_POLICY, '-A FORWARD -m conntrack --ctstate NEW,ESTABLISHED --ctproto tcp -j ACCEPT'],
    reaches: true,
  },
  {
    name: 'conntrack --ctproto udp',
    filter: [...DROP_POLICY, '-A FORWARD -m conntrack --ctproto udp -j ACCEPT', ESTABLISHED],
    reaches: false,
  },
  {
    name: 'conntrack --ctdir: the client ORIGINAL, the answer REPLY',
    filter: [
      ...DROP_POLICY,
      '-A FORWARD -i lan0 -m conntrack --ctdir ORIGINAL -j ACCEPT',
      '-A FORWARD -i wan0 -m conntrack --ctdir REPLY -j ACCEPT',
    ],
    reaches: true,
  },
  {
    name: 'conntrack --ctdir REPLY alone lets no first packet through',
    filter: [...DROP_POLICY, '-A FORWARD -m conntrack --ctdir REPLY -j ACCEPT'],
    reaches: false,
  },
  {
    name: 'MASQUERADE --to-ports',
    nat: ['-A POSTROUTING -o wan0 -p tcp -j MASQUERADE --to-ports 20000-30000'],
    reaches: true,
  },
  {
    name: 'MASQUERADE --random-fully',
    nat: ['-A POSTROUTING -o wan0 -j MASQUERADE --random-fully'],
    reaches: true,
  },
  {
    name: 'NFLOG logs and goes on (no jump to a missing chain)',
    filter: [...DROP_POLICY, '-A FORWARD -j NFLOG --nflog-group 5', '-A FORWARD -j ACCEPT'],
    reaches: true,
  },
  {
    name: 'LOG and a counter-only rule behind a match the model does not know',
    filter: [
      ...DROP_POLICY,
      '-A FORWARD -m limit --limit 5/min -j LOG --log-prefix "fw: "',
      '-A FORWARD -m recent --name seen --rcheck',
      '-A FORWARD -m hashlimit --hashlimit-above 1/sec --hashlimit-name h -j NFLOG',
      '-A FORWARD -j ACCEPT',
    ],
    reaches: true,
  },
];

describe('the packet model decides these matches, as real packets through a namespace router do', () => {
  const bed = useRouterBed(ready);

  for (const c of CASES) {
    it(c.name, async () => {
      await loadRules(bed(), { filter: c.filter, nat: c.nat });
      const model = await modelAnswer(bed());
      const tcp = await tcpReaches(bed());
      expect(tcp).toBe(c.reaches);
      expect({ reaches: model.reaches, reason: model.reason }).toMatchObject({ reaches: tcp });
    });
  }
});
