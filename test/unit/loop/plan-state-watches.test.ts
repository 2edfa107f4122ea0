import { describe, expect, it } from 'vitest';
import type { FolderId } from '../../../src/load/walk-state-tree.js';
import { EMPTY_PLAN, ignoredBy, planStateWatches, type StateTreeScan } from '../../../src/loop/plan-state-watches.js';

const root: FolderId = { path: '/srv/rev-1', ino: 10 };
const peers: FolderId = { path: '/srv/rev-1/peers', ino: 11 };
const outside: FolderId = { path: '/etc/pic', ino: 30 };
const dirStats = { isDirectory: () => true };

const tree: StateTreeScan = {
  root,
  folders: [
    { id: root, rels: [''] },
    { id: peers, rels: ['peers', 'linked/peers'] },
  ],
  links: [{ rel: 'peers/bob.json', folder: outside, name: 'bob.json' }],
};

describe('planStateWatches', () => {
  it('lists each folder at the path the loader walks it first, and each `*.json` symlink', () => {
    const plan = planStateWatches(tree);
    expect(plan.root).toBe('/srv/rev-1');
    expect([...plan.folders]).toEqual([
      ['/srv/rev-1', { rel: '', aliased: false }],
      ['/srv/rev-1/peers', { rel: 'peers', aliased: true }],
    ]);
    expect([...plan.links]).toEqual([['/srv/rev-1/peers/bob.json', 'peers/bob.json']]);
    expect(planStateWatches({ root: null, folders: [], links: [] })).toBe(EMPTY_PLAN);
  });

  it('changes shape when a folder is added, removed, replaced (same path, new inode) or re-aliased, or a link retargeted', () => {
    const shape = planStateWatches(tree).shape;
    expect(planStateWatches({ ...tree }).shape).toBe(shape);
    expect(planStateWatches({ ...tree, folders: [{ id: root, rels: [''] }] }).shape).not.toBe(shape);
    expect(
      planStateWatches({
        ...tree,
        folders: [...tree.folders, { id: { path: '/srv/rev-1/cells', ino: 12 }, rels: ['cells'] }],
      }).shape,
    ).not.toBe(shape);
    expect(
      planStateWatches({
        ...tree,
        folders: [
          { id: root, rels: [''] },
          { id: { ...peers, ino: 13 }, rels: ['peers', 'linked/peers'] },
        ],
      }).shape,
    ).not.toBe(shape);
    expect(
      planStateWatches({
        ...tree,
        folders: [
          { id: root, rels: [''] },
          { id: peers, rels: ['peers'] },
        ],
      }).shape,
    ).not.toBe(shape);
    expect(planStateWatches({ ...tree, links: [{ ...tree.links[0]!, name: 'other.json' }] }).shape).not.toBe(shape);
    expect(planStateWatches({ ...tree, root: { ...root, ino: 99 } }).shape).not.toBe(shape);
  });
});

describe('ignoredBy (chokidar’s ignored)', () => {
  const ignored = ignoredBy(planStateWatches(tree));

  it('ignores whatever the plan does not list once chokidar has its type: files, hidden folders, second paths', () => {
    expect(ignored('/srv/rev-1/peers/alice.json', { isDirectory: () => false })).toBe(true);
    expect(ignored('/srv/rev-1/.git', dirStats)).toBe(true);
    expect(ignored('/srv/rev-1/linked/peers', dirStats)).toBe(true);
    expect(ignored('/srv/rev-1/peers', dirStats)).toBe(false);
    expect(ignored('/srv/rev-1/peers/bob.json', { isDirectory: () => false })).toBe(false);
  });

  it('never before it has the type: chokidar asks again with stats before it opens a watch', () => {
    expect(ignored('/srv/rev-1/peers/alice.json')).toBe(false);
  });
});
