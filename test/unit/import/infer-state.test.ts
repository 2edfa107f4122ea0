import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatFinding, type Finding } from '../../../src/import/import-finding.js';
import { inferState, type ImportResult } from '../../../src/import/infer-state.js';
import type { ImportedState } from '../../../src/import/imported-state.js';
import { stateFiles } from '../../../src/import/state-files.js';
import { loadState } from '../../../src/load/load-state.js';
import { DEFAULT_LAYOUT } from '../../../src/model/facts.js';
import type { ObservedAddress, ObservedPolicyRule, ObservedRoute } from '../../../src/model/network.js';
import type { ObservedCell } from '../../../src/model/observed-cell.js';
import { parseIptablesSave } from '../../../src/parse/parse-iptables-save.js';
import { readFixture } from '../observe/helpers.js';

/** What the seed's generate_corefile wrote for the peers and link of iptables-seed.txt (captured by running it). */
const SEED_COREFILE = `. {
    forward . 8.8.8.8 1.1.1.1
    cache
    log
    health
}
cell {
    file /data/cell.zone
    log
    acl files.cell. {
        block net 10.0.0.3/32
        allow net 0.0.0.0/0
        allow net ::/0
    }
    acl webdav.cell. {
        block net 10.0.0.3/32
        allow net 0.0.0.0/0
        allow net ::/0
    }
}

lyon.cell {
    forward . 10.0.2.1
    cache
    log
}
`;

const CADDY: ObservedAddress[] = [
  { address: '172.20.0.5', prefixlen: 16, label: 'eth0' },
  ...[21, 22, 23, 24].map((n) => ({ address: `172.20.0.${n}`, prefixlen: 16, label: 'eth0' })),
];

interface Live {
  readonly iptables?: string;
  readonly rules?: readonly ObservedPolicyRule[];
  readonly routes?: readonly ObservedRoute[];
  readonly addresses?: readonly ObservedAddress[];
  readonly corefile?: string | null;
}

function observed(live: Live = {}): ObservedCell {
  const parsed = parseIptablesSave(live.iptables ?? readFixture('iptables-seed.txt'));
  if (!parsed.ok) throw new Error(parsed.error);
  return {
    iptables: { ok: true, value: parsed.value },
    policyRules: { ok: true, value: live.rules ?? [] },
    routes: { ok: true, value: live.routes ?? [] },
    addresses: { ok: true, value: live.addresses ?? CADDY },
    corefile: { ok: true, value: live.corefile === undefined ? SEED_COREFILE : live.corefile },
  };
}

function imported(result: ImportResult): { state: ImportedState; findings: readonly Finding[] } {
  if (!result.ok) throw new Error(result.error);
  return result;
}

const lines = (findings: readonly Finding[], level: Finding['level']): string[] =>
  findings.filter((f) => f.level === level).map(formatFinding);

/** A dump with only FORWARD rules, in the form iptables-save prints them. */
function forwardDump(rules: readonly string[]): string {
  return `*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n${rules.map((r) => `-A FORWARD ${r}`).join('\n')}\nCOMMIT\n`;
}

/** The seed's rules for one peer with every service allowed and internet access. */
function openPeer(ip: string, vips: readonly string[]): string[] {
  const tag = `-m comment --comment "pic-peer-${ip.replaceAll('.', '-')}/32"`;
  return [
    ...vips.map((vip) => `-s ${ip}/32 -d ${vip}/32 ${tag} -j ACCEPT`),
    `-s ${ip}/32 -d 10.0.0.0/24 ${tag} -j ACCEPT`,
    `-s ${ip}/32 ${tag} -j ACCEPT`,
  ];
}

describe('inferState on what the seed wrote', () => {
  it('reproduces the peers, the linked cell and the cell from the captured seed rules and Corefile', () => {
    const { state, findings } = imported(inferState(observed(), DEFAULT_LAYOUT));
    expect(state).toEqual({
      cell: {
        kind: 'Cell',
        name: 'cell',
        domain: 'cell',
        ip_range: '172.20.0.0/16',
        peer_subnet: '10.0.0.0/24',
        services: ['calendar', 'files', 'mail', 'webdav'],
        upstream_dns: ['8.8.8.8', '1.1.1.1'],
        unknown_peers: 'drop',
      },
      peers: [
        {
          kind: 'Peer',
          name: 'peer-10-0-0-2',
          ip: '10.0.0.2',
          internet_access: true,
          service_access: ['calendar', 'files', 'mail', 'webdav'],
          peer_access: true,
        },
        {
          kind: 'Peer',
          name: 'peer-10-0-0-3',
          ip: '10.0.0.3',
          internet_access: false,
          service_access: ['calendar', 'mail'],
          peer_access: true,
        },
      ],
      links: [
        {
          kind: 'CellLink',
          name: 'lyon',
          vpn_subnet: '10.0.2.0/24',
          domain: 'lyon.cell',
          dns_ip: '10.0.2.1',
          permissions: { inbound: { calendar: true, files: true, mail: false, webdav: false } },
          remote_exit_relay_active: true,
        },
      ],
    });
    // lyon's wg_ip is the one thing the live cell does not tell (no peer routes via it).
    expect(lines(findings, 'could not')).toEqual([
      'could not  cells/lyon.json: wg_ip unknown (no peer routes via it): set it before routing a peer via lyon',
    ]);
    expect(lines(findings, 'changed')).toEqual([
      'changed    cell.json: unknown_peers "drop": the seed let any other source in 10.0.0.0/24 through (DESIGN §5.4); write "accept" to keep that',
      'changed    live cell: filter FORWARD "-i wg0 -o eth0 -p tcp -m tcp --dport 3000 -j ACCEPT" is not carried over: port 3000 hole above every peer rule (DESIGN §5)',
      'changed    live cell: nat PREROUTING "-i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination 172.20.0.10:3000" is not carried over: api DNAT without destination match (DESIGN §5)',
      'changed    live cell: nat POSTROUTING "-d 172.20.0.10/32 -o eth0 -p tcp -m tcp --dport 3000 -j MASQUERADE" is not carried over: untagged api MASQUERADE (DESIGN §5)',
      "changed    cell.json: DNS acls become one per service listing every blocked peer: the seed's refused only the first blocked peer per service (DESIGN §5.1)",
    ]);
    expect(lines(findings, 'inferred')).toContain(
      'inferred   peers/peer-10-0-0-3.json: 10.0.0.3 from 9 rules tagged pic-peer-10-0-0-3/32: services [calendar mail], other peers yes, internet no',
    );
  });

  it('writes the same bytes every time, and the files load as a valid state', async () => {
    const files = (): ReturnType<typeof stateFiles> =>
      stateFiles(
        imported(inferState(observed(), DEFAULT_LAYOUT)).state,
        (file, schema) => `${'../'.repeat(file.split('/').length)}schema/${schema}`,
      );
    expect(files()).toEqual(files());
    expect(files().map((f) => f.path)).toEqual([
      'cell.json',
      'peers/peer-10-0-0-2.json',
      'peers/peer-10-0-0-3.json',
      'cells/lyon.json',
    ]);
    expect(files()[1]?.text).toBe(`{
  "$schema": "../../schema/peer.schema.json",
  "kind": "Peer",
  "name": "peer-10-0-0-2",
  "ip": "10.0.0.2",
  "internet_access": true,
  "service_access": ["calendar", "files", "mail", "webdav"],
  "peer_access": true
}
`);
    const dir = await mkdtemp(join(tmpdir(), 'pict-import-'));
    try {
      for (const file of files()) {
        await mkdir(dirname(join(dir, file.path)), { recursive: true });
        await writeFile(join(dir, file.path), file.text);
      }
      const loaded = await loadState(dir);
      expect(loaded.issues).toEqual([]);
      expect(loaded.state?.peers.map((p) => p.name)).toEqual(['peer-10-0-0-2', 'peer-10-0-0-3']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("finds route_via and the exit cell's wg_ip from the policy routing, ignoring our own main-table rule", () => {
    const rules: ObservedPolicyRule[] = [
      { priority: 10000, src: '10.0.0.3', table: 'main', suppressPrefixlength: 0, protocol: 252 },
      { priority: 32765, src: '10.0.0.3', table: '200', suppressPrefixlength: null, protocol: null },
      { priority: 32764, src: '10.0.0.2', table: '201', suppressPrefixlength: null, protocol: null },
    ];
    const routes: ObservedRoute[] = [
      { table: '200', dst: 'default', gateway: '10.0.2.1', dev: 'wg0', protocol: 3 },
      { table: '201', dst: 'default', gateway: '192.0.2.1', dev: 'wg0', protocol: 3 },
    ];
    const { state, findings } = imported(inferState(observed({ rules, routes }), DEFAULT_LAYOUT));
    expect(state.peers.map((p) => p.route_via)).toEqual([undefined, 'lyon']);
    expect(state.links[0]?.wg_ip).toBe('10.0.2.1');
    expect(lines(findings, 'could not')).toEqual([
      "could not  peer 10.0.0.2: routes via 192.0.2.1 (table 201), which is no linked cell's: route_via left out",
    ]);
    expect(lines(findings, 'changed')).toContain(
      'changed    peer 10.0.0.3: the seed\'s rule "from 10.0.0.3 lookup 200" and its exit route are replaced by the controller\'s own on the first apply (main table consulted first, §5.7)',
    );
  });

  it("names VIPs off the seed's positions after the Corefile acl that blocks the same peers, else with a placeholder", () => {
    const vips = ['172.20.0.40', '172.20.0.41'];
    const tag = '-m comment --comment "pic-peer-10-0-0-3/32"';
    const dump = forwardDump([
      ...openPeer('10.0.0.2', vips),
      `-s 10.0.0.3/32 -d 172.20.0.40/32 ${tag} -j DROP`,
      `-s 10.0.0.3/32 -d 172.20.0.41/32 ${tag} -j ACCEPT`,
      `-s 10.0.0.3/32 -d 10.0.0.0/24 ${tag} -j DROP`,
      `-s 10.0.0.3/32 ${tag} -j ACCEPT`,
    ]);
    const corefile =
      'cell {\n    file /data/cell.zone\n    acl photos.cell. {\n        block net 10.0.0.3/32\n    }\n}\n';
    const addresses = vips.map((address) => ({ address, prefixlen: 24, label: 'eth0' }));
    const { state, findings } = imported(inferState(observed({ iptables: dump, corefile, addresses }), DEFAULT_LAYOUT));
    expect(state.cell.ip_range).toBe('172.20.0.0/24');
    expect(state.cell.services).toEqual([
      { name: 'photos', vip: '172.20.0.40' },
      { name: 'service-172-20-0-41', vip: '172.20.0.41' },
    ]);
    expect(state.peers[1]).toMatchObject({
      service_access: ['service-172-20-0-41'],
      peer_access: false,
      internet_access: true,
    });
    expect(lines(findings, 'could not')).toContain(
      'could not  cell.json: name the service of VIP 172.20.0.41: called it "service-172-20-0-41" (rename it here and in the peers\' service_access)',
    );
    expect(lines(findings, 'could not')).toContain(
      'could not  cell.json: find "forward ." in the Corefile\'s root block: upstream_dns is the seed\'s 8.8.8.8 1.1.1.1',
    );
  });

  it('reports rules in no seed shape, odd tags and renamed links, and still writes the rest', () => {
    const vips = ['172.20.0.21', '172.20.0.22', '172.20.0.23', '172.20.0.24'];
    const cellTag = '-m comment --comment -odd-name';
    const dump = forwardDump([
      ...openPeer('10.0.0.2', vips),
      '-s 10.0.0.2/32 -p udp -m udp --dport 53 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
      '-s 10.9.0.0/24 -m comment --comment pic-cell--odd-name -j DROP',
      '-s 10.0.0.7/32 -m comment --comment pic-peer-ten -j ACCEPT',
      `-s 10.8.0.0/24 ${cellTag} -j DROP`,
    ]);
    const { state, findings } = imported(inferState(observed({ iptables: dump, corefile: null }), DEFAULT_LAYOUT));
    expect(state.links.map((l) => [l.name, l.vpn_subnet, l.permissions.inbound])).toEqual([
      ['odd-name', '10.9.0.0/24', { calendar: false, files: false, mail: false, webdav: false }],
    ]);
    expect(lines(findings, 'could not')).toEqual([
      "could not  cell.json: find a Corefile: domain, upstream DNS and the links' DNS take the seed's defaults",
      'could not  peers/peer-10-0-0-2.json: rule in none of the seed\'s shapes, not imported: -s 10.0.0.2/32 -p udp -m udp --dport 53 -m comment --comment "pic-peer-10-0-0-2/32" -j ACCEPT',
      'could not  cells/odd-name.json: no rule for service calendar (172.20.0.21): written as not allowed',
      'could not  cells/odd-name.json: no rule for service files (172.20.0.22): written as not allowed',
      'could not  cells/odd-name.json: no rule for service mail (172.20.0.23): written as not allowed',
      'could not  cells/odd-name.json: no rule for service webdav (172.20.0.24): written as not allowed',
      'could not  cells/odd-name.json: tag name "-odd-name" is no valid name: renamed "odd-name"',
      'could not  cells/odd-name.json: no forwarding block in the Corefile: domain and dns_ip left out',
      'could not  cells/odd-name.json: wg_ip unknown (no peer routes via it): set it before routing a peer via odd-name',
      'could not  live cell: import the rules tagged pic-peer-ten: not a tag the seed writes',
    ]);
  });

  it('on a cell the controller manages already, says it could not import its chains, in words', () => {
    const managed = readFixture('iptables-seed.txt').replace(
      ':FORWARD ACCEPT [0:0]\n',
      ':FORWARD ACCEPT [0:0]\n:PIC-FWD - [0:0]\n',
    );
    expect(
      lines(imported(inferState(observed({ iptables: managed }), DEFAULT_LAYOUT)).findings, 'could not'),
    ).toContain(
      "could not  live cell: import the controller's own chains (PIC-FWD): the cell is managed already, and import reads only the seed's rules",
    );
  });

  it("fails when there is nothing of the seed's, or iptables could not be read", () => {
    expect(inferState(observed({ iptables: '' }), DEFAULT_LAYOUT)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/nothing to import$/),
    });
    const unreadable: ObservedCell = {
      ...observed(),
      iptables: { ok: false, error: 'netns:x: iptables-save: exit 1' },
    };
    expect(inferState(unreadable, DEFAULT_LAYOUT)).toEqual({
      ok: false,
      error: 'cannot read iptables: netns:x: iptables-save: exit 1',
      findings: [],
    });
  });
});
