/**
 * "A broken file holds back only what it could own", on the pure pipeline: for a random
 * valid state S written one file per resource, delete a random set D of peer and link files
 * and add a never-valid broken file. With S known, the plan removes every chain D held and
 * holds nothing back; with nothing known, it removes nothing, and the broken file holds
 * exactly D's chains.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateState, type StateFile } from '../../src/load/validate-state.js';
import { accountFor, holdBackUnresolved, NO_ACCOUNTING } from '../../src/pass/held-back.js';
import type { DesiredState } from '../../src/model/desired-state.js';
import { DEFAULT_LAYOUT } from '../../src/model/facts.js';
import { planCell } from '../../src/plan/plan-cell.js';
import { cellChainName, peerChainName } from '../../src/model/chain-names.js';
import { arbitraryState } from '../helpers/arbitrary-state.js';
import { liveCell, render } from '../unit/loop/live-cell.js';
import { fuzzParams } from './fuzz-settings.js';
import { resourceFiles } from './state-files.js';

const BROKEN: StateFile = { file: 'peers/zz-new.json', text: '{"kind":"Peer","name":"frank","ip":"10.0.0.20",}' };

describe('held-back deletions (property)', () => {
  it('deleted files are enforced when known, and held only by the broken file when nothing is known', () => {
    fc.assert(
      fc.property(arbitraryState, fc.infiniteStream(fc.boolean()), (state, coin) => {
        const files = resourceFiles(state);
        // Deleting a link a kept peer routes via would make the peer invalid: only delete links nobody uses.
        const used = new Set(state.peers.map((p) => p.route_via));
        const deletable = files.filter(
          (f) => f.file.startsWith('peers/') || (f.file.startsWith('cells/') && !used.has(f.file.slice(6, -5))),
        );
        const deleted = new Set(deletable.filter(() => coin.next().value === true).map((f) => f.file));
        const first = validateState(files);
        fc.pre(first.issues.length === 0 && first.state !== null);
        const next = [...files.filter((f) => !deleted.has(f.file)), BROKEN];
        const gone = [
          ...state.peers.filter((p) => deleted.has(`peers/${p.name}.json`)).map((p) => peerChainName(p.ip)),
          ...state.links.filter((l) => deleted.has(`cells/${l.name}.json`)).map((l) => cellChainName(l.name)),
        ].sort();
        const observed = liveCell(render(state));
        const deletedChains = (known: boolean) => {
          const loaded = validateState(next, known ? { previous: first } : {});
          expect(loaded.unresolvedFiles).toEqual([BROKEN.file]);
          const hold = holdBackUnresolved(
            loaded,
            accountFor(known ? accountFor(NO_ACCOUNTING, first) : NO_ACCOUNTING, loaded),
          );
          const plan = planCell(hold.adjust(render(loaded.state as DesiredState), observed), observed, DEFAULT_LAYOUT);
          return {
            chains: plan.actions
              .flatMap((a) => (a.kind === 'delete-chain' && a.table === 'filter' ? [a.chain] : []))
              .sort(),
            held: hold.held(),
          };
        };
        expect(deletedChains(true)).toEqual({ chains: gone, held: [] });
        expect(deletedChains(false)).toEqual({
          chains: [],
          held: gone.length === 0 ? [] : [{ file: BROKEN.file, reason: 'unattributed', resources: gone }],
        });
      }),
      fuzzParams(200),
    );
  });
});
