import { describe, expect, it } from 'vitest';
import { folderKey, type FolderId } from '../../../src/load/read-state-dir.js';
import { diffWatchSet, planStateWatches, sameTree, watchedTree, type StateTreeScan } from '../../../src/loop/plan-state-watches.js';

const root: FolderId = { path: '/srv/rev-1', ino: 10 };
const peers: FolderId = { path: '/srv/rev-1/peers', ino: 11 };
const parent: FolderId = { path: '/srv', ino: 2 };
const outside: FolderId = { path: '/etc/pic', ino: 30 };

const tree: StateTreeScan = {
  root,
  folders: [
    { id: root, rels: [''] },
    { id: peers, rels: ['peers'] },
  ],
  links: [
    { rel: 'peers/bob.json', folder: outside, name: 'bob.json' },
    { rel: 'peers/bob-again.json', folder: outside, name: 'bob.json' },
  ],
};

describe('planStateWatches', () => {
  it('watches each tree folder, each symlink target folder and each anchor parent once', () => {
    const plan = planStateWatches(tree, [{ folder: parent, name: 'state' }]);
    expect([...plan.keys()].sort()).toEqual([folderKey(root), folderKey(peers), folderKey(parent), folderKey(outside)].sort());
    expect(plan.get(folderKey(peers))).toMatchObject({ path: '/srv/rev-1/peers', rels: ['peers'] });
    expect(plan.get(folderKey(outside))?.rels).toEqual([]);
    expect(plan.get(folderKey(outside))?.links.get('bob.json')).toEqual(['peers/bob.json', 'peers/bob-again.json']);
    expect([...(plan.get(folderKey(parent))?.anchors ?? [])]).toEqual(['state']);
  });

  it('merges a folder that is both in the tree and an anchor parent', () => {
    const plan = planStateWatches(tree, [{ folder: root, name: 'nested' }, { folder: root, name: 'other' }]);
    const spec = plan.get(folderKey(root));
    expect(spec?.rels).toEqual(['']);
    expect([...(spec?.anchors ?? [])].sort()).toEqual(['nested', 'other']);
  });

  it('keys a folder by inode too, so one recreated under the same path is a new watch', () => {
    const recreated = planStateWatches({ ...tree, folders: [{ id: root, rels: [''] }, { id: { ...peers, ino: 99 }, rels: ['peers'] }], links: [] }, []);
    const { add, remove } = diffWatchSet([folderKey(root), folderKey(peers)], recreated);
    expect(add).toEqual([folderKey({ ...peers, ino: 99 })]);
    expect(remove).toEqual([folderKey(peers)]);
  });
});

describe('diffWatchSet', () => {
  it('opens what the plan adds, closes what it drops, keeps the rest', () => {
    const plan = planStateWatches(tree, []);
    expect(diffWatchSet([], plan).add.sort()).toEqual([folderKey(root), folderKey(peers), folderKey(outside)].sort());
    expect(diffWatchSet([...plan.keys()], plan)).toEqual({ add: [], remove: [] });
    expect(diffWatchSet([...plan.keys(), 'gone'], planStateWatches({ root: null, folders: [], links: [] }, []))).toEqual({
      add: [],
      remove: [...plan.keys(), 'gone'],
    });
  });
});

describe('watchedTree', () => {
  const plan = planStateWatches(tree, [{ folder: parent, name: 'state' }]);
  const open = new Set(plan.keys());

  it('lists only open tree folders, with their paths', () => {
    expect(watchedTree(plan, open)).toEqual(
      new Map([
        [folderKey(root), ''],
        [folderKey(peers), 'peers'],
      ]),
    );
    expect(watchedTree(plan, new Set([folderKey(root)])).size).toBe(1);
  });

  it('changes when a folder is added, removed, replaced, or reached at another path; not for links or anchors', () => {
    const before = watchedTree(plan, open);
    const same = (next: StateTreeScan): boolean => {
      const nextPlan = planStateWatches(next, []);
      return sameTree(before, watchedTree(nextPlan, new Set(nextPlan.keys())));
    };
    expect(same({ ...tree, links: [] })).toBe(true);
    expect(same({ ...tree, folders: [{ id: root, rels: [''] }] })).toBe(false);
    expect(same({ ...tree, folders: [...tree.folders, { id: { path: '/srv/rev-1/cells', ino: 12 }, rels: ['cells'] }] })).toBe(false);
    expect(same({ ...tree, folders: [{ id: root, rels: [''] }, { id: { ...peers, ino: 13 }, rels: ['peers'] }] })).toBe(false);
    expect(same({ ...tree, folders: [{ id: root, rels: [''] }, { id: peers, rels: ['peers', 'again'] }] })).toBe(false);
  });
});
