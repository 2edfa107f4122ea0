import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configFileJson } from '../../src/config/controller-config.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import type { Action } from '../../src/model/plan.js';
import { parseCorefile } from '../../src/parse/parse-corefile.js';
import { SAVED_FILES } from '../../src/observe/observe-saved.js';
import { cleanupNamespaces, nsRunOk, probe, run, startListener } from '../../src/testbed/netns.js';
import { compareMatrix, probeMatrix, type MatrixRow } from '../../src/testbed/probe-matrix.js';
import { INTERNET_IP } from '../../src/testbed/testbed-cell.js';
import { builtEntry } from '../helpers/build-dist.js';
import { evaluateAcl } from '../../src/access/evaluate-dns-acl.js';
import { requirePrerequisites } from '../helpers/prerequisites.js';
import { replaySeedOnTestbed, type SeedRun } from '../helpers/replay-seed.js';
import { createTestbed, loadValidState, type TestbedFixture } from '../helpers/testbed.js';

const ready = requirePrerequisites(['root', 'iptables', 'ip']);

/** The port the seed hijacks (§5.2) and opens (§5.3); probed at the internet host, which is no service. */
const API_PORT = 3000;

describe('import from a cell the seed configured, then take it over (its recorded commands replayed, iptables, packets)', () => {
  let state: DesiredState;
  let bed: TestbedFixture;
  let cli: string;
  let configFile: string;
  let seedRun: SeedRun;
  let seedCorefile: string;
  let before: MatrixRow[];
  let before3000: Map<string, string | null>;
  const outDir = (): string => join(bed.workDir, 'imported', 'state');

  const pic = (...args: string[]) => run([process.execPath, cli, ...args]);
  /** From a peer to the internet host's port 3000: who answers, if anyone. */
  const probe3000 = async (): Promise<Map<string, string | null>> => {
    const peers = bed.cell.sources.filter((s) => s.kind === 'peer');
    const answers = await Promise.all(peers.map((p) => probe(p.ns, [{ ip: INTERNET_IP, port: API_PORT }], 1_000)));
    return new Map(peers.map((p, i) => [p.name, answers[i]?.[0]?.answeredBy ?? null]));
  };

  beforeAll(async () => {
    if (!ready.ok) return;
    cli = builtEntry('cli/main.js');
    state = await loadValidState('state');
    bed = await createTestbed(state);
    configFile = join(bed.workDir, 'controller.json');
    await writeFile(configFile, JSON.stringify(configFileJson(bed.config)));
    seedRun = await replaySeedOnTestbed(bed.cell, state, bed.corefilePath);
    seedCorefile = await readFile(bed.corefilePath, 'utf8');
    await startListener(bed.cell.inet, [{ ip: INTERNET_IP, port: API_PORT }], 'internet');
    before = await probeMatrix(state, bed.cell);
    before3000 = await probe3000();
  });
  afterAll(async () => {
    await bed?.dispose();
    await cleanupNamespaces();
  });

  it("the seed's recorded commands configured the cell, one docker exec per rule", async () => {
    const dump = await nsRunOk(bed.cell.wg, ['iptables-save']);
    expect(dump).toContain('--comment "pic-peer-10-0-0-3/32"');
    expect(dump).toContain('--comment pic-cell-lyon');
    expect(dump).toMatch(/-A PREROUTING -i wg0 -p tcp -m tcp --dport 3000 -j DNAT --to-destination [0-9.]+:3000/);
    expect(seedCorefile).toContain('acl calendar.cell.');
    // The seed's matrix is what it is: the peers' rules work, unknown sources pass (§5.4).
    expect(before.find((r) => r.source === 'bob')?.cells['files']).toBeNull();
    expect(before.find((r) => r.source === 'alice')?.cells['internet']).toBe('internet');
    expect(before.find((r) => r.source === 'unknown')?.cells['calendar']).toBe('caddy');
    console.log(
      `[import] the seed made ${seedRun.calls.length} docker calls in ${seedRun.durationMs.toFixed(0)} ms for ${state.peers.length} peers and ${state.links.length} links`,
    );
  });

  it('import writes a valid state with the same access rules, and says what it inferred and could not', async () => {
    const result = await pic('import', '--config', configFile, '--out', outDir());
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines).toContain(
      'inferred   peers: iptables holds no names: each peer is named peer-<its IP>; rename a file and its "name" freely',
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^could not {2}cells\/lyon\.json: wg_ip unknown \(no peer routes via it\)/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^inferred {3}cells\/paris\.json: 10\.0\.1\.0\/24 .*wg_ip 10\.0\.1\.1 from the exit route$/,
      ),
    );
    expect(lines.filter((l) => l.startsWith('changed ')).length).toBeGreaterThanOrEqual(6);
    // Only lyon's wg_ip: no peer routes via lyon, so nothing live reveals it.
    expect(lines.filter((l) => l.startsWith('could not')).length).toBe(1);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^changed {4}peer 10\.0\.0\.4: the seed's rule "from 10\.0\.0\.4 lookup 200" and its exit route are replaced/,
      ),
    );

    const validate = await pic('validate', '--state', outDir());
    expect(validate.code).toBe(0);
    const imported = await loadValidState(outDir());
    // Everything the seed's registry held comes back, peers renamed after their IPs.
    const rename = (name: string): string =>
      `peer-${state.peers.find((p) => p.name === name)?.ip.replaceAll('.', '-')}`;
    expect(imported.cell).toEqual({ ...state.cell, name: 'cell' });
    expect(imported.peers).toEqual(state.peers.map((p) => ({ ...p, name: rename(p.name) })));
    expect(imported.links).toEqual(state.links.map((l) => (l.name === 'lyon' ? { ...l, wg_ip: null } : l)));
    const peerFile = JSON.parse(await readFile(join(outDir(), 'peers', 'peer-10-0-0-4.json'), 'utf8')) as {
      $schema: string;
    };
    expect(await readFile(join(outDir(), 'peers', peerFile.$schema), 'utf8')).toContain(
      '"title": "pic-reconciler Peer"',
    );
  });

  it('import from saved files (--from) writes the same bytes', async () => {
    const saved = join(bed.workDir, 'saved');
    await mkdir(saved);
    const wg = (argv: string[]) => nsRunOk(bed.cell.wg, argv);
    await writeFile(join(saved, SAVED_FILES.iptables), await wg(['iptables-save']));
    await writeFile(join(saved, SAVED_FILES.rules), await wg(['ip', '-4', '-j', 'rule', 'show']));
    await writeFile(join(saved, SAVED_FILES.routes), await wg(['ip', '-4', '-j', 'route', 'show', 'table', 'all']));
    await writeFile(
      join(saved, SAVED_FILES.addresses),
      await nsRunOk(bed.cell.lan, ['ip', '-j', 'addr', 'show', 'dev', 'eth0']),
    );
    await writeFile(join(saved, SAVED_FILES.corefile), seedCorefile);
    const again = join(bed.workDir, 'from-saved', 'state');
    const result = await pic('import', '--from', saved, '--out', again);
    expect(result.code).toBe(0);
    const files = async (dir: string): Promise<Record<string, string>> => {
      const entries = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile());
      return Object.fromEntries(
        await Promise.all(
          entries.map(
            async (e) =>
              [
                join(e.parentPath, e.name).slice(dir.length),
                await readFile(join(e.parentPath, e.name), 'utf8'),
              ] as const,
          ),
        ),
      );
    };
    expect(await files(again)).toEqual(await files(outDir()));
    expect((await pic('import', '--from', saved, '--out', again)).code).toBe(1); // never writes into a non-empty directory
  });

  it('plan against the live cell shows only the legacy cleanup and the §5 fixes', async () => {
    const result = await pic('plan', '--state', outDir(), '--config', configFile, '--json');
    expect(result.code).toBe(2);
    const actions = (JSON.parse(result.stdout) as { actions: Action[] }).actions;
    const kinds = new Set(actions.map((a) => a.kind));
    // Owned chains and their jumps, the seed's rules deleted, the Corefile rewritten (§5.1),
    // the routed peer's policy rules (§5.7) replacing the seed's own rule and exit route.
    // No address action: the seed's VIPs are adopted as they are.
    expect([...kinds].sort()).toEqual([
      'add-policy-rule',
      'add-route',
      'create-chain',
      'delete-policy-rule',
      'delete-route',
      'delete-rule',
      'insert-jump',
      'write-corefile',
    ]);
    const legacyRouting = actions.filter((a) => a.kind === 'delete-policy-rule' || a.kind === 'delete-route');
    expect(legacyRouting.every((a) => a.reason.startsWith('legacy seed route_via'))).toBe(true);
    expect(legacyRouting).toHaveLength(2);
    const deletes = actions.filter((a) => a.kind === 'delete-rule');
    expect(deletes.every((a) => a.reason.startsWith('legacy seed rule'))).toBe(true);
    const dump = await nsRunOk(bed.cell.wg, ['iptables-save']);
    const seedRules = dump
      .split('\n')
      .filter((l) => / --comment "?pic-(peer|cell)-/.test(l) || /--dport 3000 -j (ACCEPT|DNAT|MASQUERADE)/.test(l));
    expect(deletes).toHaveLength(seedRules.length);
  });

  it('apply converges, and packets flow as under the seed except where the controller fixes its defects', async () => {
    const result = await pic('apply', '--state', outDir(), '--config', configFile);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/converged \(1 restore/);
    const imported = await loadValidState(outDir());
    const after = await probeMatrix(imported, bed.cell);
    // Peers' row and column names follow the imported names; map them back to compare.
    const byIp = new Map(state.peers.map((p) => [`peer-${p.ip.replaceAll('.', '-')}`, p.name]));
    const original = (name: string): string => byIp.get(name) ?? name;
    const afterRows = after.map((row) => ({
      source: original(row.source),
      cells: Object.fromEntries(
        Object.entries(row.cells).map(([c, v]) => [
          c.startsWith('peer:') ? `peer:${original(c.slice(5))}` : c,
          v === null ? null : original(v),
        ]),
      ),
    }));
    expect(compareMatrix(state, afterRows)).toEqual([]);

    const routed = new Set(state.peers.filter((p) => p.route_via !== null).map((p) => p.name));
    const differences: string[] = [];
    for (const row of afterRows) {
      const seedRow = before.find((r) => r.source === row.source);
      for (const [column, value] of Object.entries(row.cells)) {
        const was = seedRow?.cells[column] ?? null;
        if (value === was) continue;
        // §5.4: the seed let sources in the peer subnet that are no peer through; unknown_peers "drop" stops them.
        if (row.source === 'unknown' && value === null) continue;
        // §5.7: the seed's `from <ip> lookup <table>` sends all of a routed peer's traffic into the exit cell,
        // local services and the api included; now main's routes are consulted first, so they stay local.
        if (routed.has(row.source) && column !== 'internet' && was === null) continue;
        differences.push(`${row.source} → ${column}: seed ${was}, now ${value}`);
      }
    }
    expect(differences).toEqual([]);
    // The exclusions are real differences, not vacuous.
    expect(
      Object.values(before.find((r) => r.source === 'unknown')?.cells ?? {}).filter((v) => v !== null).length,
    ).toBeGreaterThan(3);
    expect(before.find((r) => r.source === 'carol')?.cells['files']).toBeNull();
    expect(afterRows.find((r) => r.source === 'carol')?.cells['files']).toBe('caddy');

    // §5.2 and §5.3, which the matrix does not probe: under the seed every peer's TCP/3000 to any host was
    // hijacked to the api and let through the hole; now it goes where it was sent, as the peer's rules allow.
    const after3000 = await probe3000();
    expect(before3000.get('alice')).toBe('api');
    expect(before3000.get('bob')).toBe('api');
    expect(after3000.get('alice')).toBe('internet');
    expect(after3000.get('bob')).toBeNull();
  });

  it('the DNS acl now refuses every blocked peer, where the seed refused only the first per service (§5.1)', async () => {
    const parse = (text: string) => {
      const parsed = parseCorefile(text);
      if (!parsed.ok) throw new Error(parsed.error);
      return parsed.value;
    };
    const seed = parse(seedCorefile);
    const now = parse(await readFile(bed.corefilePath, 'utf8'));
    let seedLeaks = 0;
    for (const service of state.cell.services) {
      const blocked = state.peers.filter((p) => !p.service_access.includes(service.name));
      for (const [i, peer] of blocked.entries()) {
        const query = `${service.name}.${state.cell.domain}`;
        expect(evaluateAcl(now, query, peer.ip)).toBe('block');
        const seedVerdict = evaluateAcl(seed, query, peer.ip);
        expect(seedVerdict).toBe(i === 0 ? 'block' : 'allow');
        if (seedVerdict === 'allow') seedLeaks++;
      }
      for (const peer of state.peers.filter((p) => p.service_access.includes(service.name))) {
        expect(evaluateAcl(now, `${service.name}.${state.cell.domain}`, peer.ip)).toBe('allow');
      }
    }
    expect(seedLeaks).toBeGreaterThan(0);
  });
});
