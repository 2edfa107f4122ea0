import { describe, expect, it } from 'vitest';
import { ChangeCollector, changeReport, classifyWatchEvent, NOTHING, UNKNOWN } from '../../../src/loop/classify-watch-event.js';
import type { WatchSpec } from '../../../src/loop/plan-state-watches.js';

const spec = (overrides: Partial<WatchSpec>): WatchSpec => ({ path: '/srv/rev-1', rels: [], anchors: new Set(), links: new Map(), ...overrides });
const root = spec({ rels: [''] });
const peers = spec({ path: '/srv/rev-1/peers', rels: ['peers'] });
const parent = spec({ path: '/srv', anchors: new Set(['state']) });

describe('classifyWatchEvent', () => {
  it('names a state file edited in place, with its path in the tree', () => {
    expect(classifyWatchEvent(peers, 'change', 'bob.json')).toEqual({ paths: ['peers/bob.json'], all: false, rescan: false });
    expect(classifyWatchEvent(root, 'change', 'cell.json')).toEqual({ paths: ['cell.json'], all: false, rescan: false });
  });

  it('names a state file replaced (an atomic save), and rescans in case it is now a symlink', () => {
    expect(classifyWatchEvent(peers, 'rename', 'bob.json')).toEqual({ paths: ['peers/bob.json'], all: false, rescan: true });
  });

  it('ignores hidden entries and editor leftovers: .status, swap files, temp files, backups', () => {
    for (const name of ['.status', '.git', '.bob.json.swp', 'bob.json.swp', 'bob.json~', 'bob.json.tmp', '.#bob.json']) {
      expect(classifyWatchEvent(peers, 'rename', name)).toEqual(NOTHING);
      expect(classifyWatchEvent(peers, 'change', name)).toEqual(NOTHING);
    }
  });

  it('rescans for any other entry created or removed (it may be a folder), names no file', () => {
    expect(classifyWatchEvent(root, 'rename', 'peers')).toEqual({ paths: [], all: false, rescan: true });
    expect(classifyWatchEvent(root, 'change', 'README.md')).toEqual(NOTHING);
  });

  it('rescans when the watched folder itself is deleted or moved (the event carries its own name)', () => {
    expect(classifyWatchEvent(peers, 'rename', 'peers')).toMatchObject({ rescan: true });
    expect(classifyWatchEvent(spec({ path: '/home/u/.state', rels: [''] }), 'rename', '.state')).toMatchObject({ rescan: true });
  });

  it('in an anchor parent, only the anchor entries count, and only when replaced', () => {
    expect(classifyWatchEvent(parent, 'rename', 'state')).toEqual({ paths: [], all: false, rescan: true });
    expect(classifyWatchEvent(parent, 'change', 'state')).toEqual(NOTHING);
    for (const name of ['other.json', 'state.tmp', 'rev-2', 'busy-file']) {
      expect(classifyWatchEvent(parent, 'rename', name)).toEqual(NOTHING);
      expect(classifyWatchEvent(parent, 'change', name)).toEqual(NOTHING);
    }
    // A hidden anchor (a hidden state folder or ancestor) still counts.
    expect(classifyWatchEvent(spec({ anchors: new Set(['.state']) }), 'rename', '.state').rescan).toBe(true);
  });

  it('names the symlinks that resolve to a changed file, inside or outside the tree', () => {
    const outside = spec({ path: '/etc/pic', links: new Map([['bob.json', ['peers/bob.json', 'peers/b.json']]]) });
    expect(classifyWatchEvent(outside, 'change', 'bob.json')).toEqual({ paths: ['peers/bob.json', 'peers/b.json'], all: false, rescan: false });
    expect(classifyWatchEvent(outside, 'change', 'alice.json')).toEqual(NOTHING);
    expect(classifyWatchEvent(outside, 'rename', 'alice.json')).toEqual(NOTHING);
    const inside = spec({ path: '/srv/rev-1/shared', rels: ['shared'], links: new Map([['bob.json', ['peers/bob.json']]]) });
    expect(classifyWatchEvent(inside, 'change', 'bob.json').paths).toEqual(['peers/bob.json', 'shared/bob.json']);
    // The target's own name may be one the tree ignores.
    const hidden = spec({ path: '/srv/store', links: new Map([['.bob', ['peers/bob.json']]]) });
    expect(classifyWatchEvent(hidden, 'rename', '.bob')).toEqual({ paths: ['peers/bob.json'], all: false, rescan: true });
  });

  it('cannot name files in a folder reached through several paths', () => {
    const aliased = spec({ path: '/srv/rev-1/peers', rels: ['peers', 'again'] });
    expect(classifyWatchEvent(aliased, 'change', 'bob.json')).toEqual({ paths: [], all: true, rescan: false });
  });

  it('cannot say anything about an event without a name', () => {
    expect(classifyWatchEvent(peers, 'rename', null)).toEqual(UNKNOWN);
  });
});

describe('ChangeCollector and changeReport', () => {
  it('collects a burst, hands it over once, then starts empty', () => {
    const collector = new ChangeCollector();
    expect(collector.add(NOTHING)).toBe(false);
    expect(collector.add({ paths: ['a.json'], all: false, rescan: false })).toBe(true);
    expect(collector.add({ paths: ['a.json', 'peers/b.json'], all: false, rescan: true })).toBe(true);
    const burst = collector.take();
    expect(burst).toEqual({ paths: new Set(['a.json', 'peers/b.json']), all: false, rescan: true });
    expect(changeReport(burst, false)).toEqual(new Set(['a.json', 'peers/b.json']));
    expect(collector.take()).toEqual({ paths: new Set(), all: false, rescan: false });
  });

  it("reports 'all' when the tree changed shape or a change could not be named, nothing when nothing changed", () => {
    expect(changeReport({ paths: new Set(['a.json']), all: false }, true)).toBe('all');
    expect(changeReport({ paths: new Set(), all: true }, false)).toBe('all');
    expect(changeReport({ paths: new Set(), all: false }, false)).toBeNull();
  });
});
