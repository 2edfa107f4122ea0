import { describe, expect, it } from 'vitest';
import {
  ChangeCollector,
  changeReport,
  classifyLinkEvent,
  classifyRawEvent,
  NOTHING,
  RESCAN,
  UNKNOWN,
} from '../../../src/loop/classify-watch-event.js';
import type { WatchPlan } from '../../../src/loop/plan-state-watches.js';

const plan: WatchPlan = {
  root: '/srv/rev-1',
  folders: new Map([
    ['/srv/rev-1', { rel: '', aliased: false }],
    ['/srv/rev-1/peers', { rel: 'peers', aliased: false }],
    ['/srv/rev-1/again', { rel: 'again', aliased: true }],
    ['/srv/rev-1/.state', { rel: '.state', aliased: false }],
  ]),
  links: new Map([['/srv/rev-1/peers/carol.json', 'peers/carol.json']]),
  shape: 'x',
};
const peers = '/srv/rev-1/peers';

describe('classifyRawEvent', () => {
  it('names a state file edited in place, with its path in the tree', () => {
    expect(classifyRawEvent(plan, 'change', 'bob.json', peers)).toEqual({ ...NOTHING, paths: ['peers/bob.json'] });
    expect(classifyRawEvent(plan, 'change', 'cell.json', '/srv/rev-1')).toEqual({ ...NOTHING, paths: ['cell.json'] });
  });

  it('names a state file replaced (an atomic save), and rescans in case it is now a symlink', () => {
    expect(classifyRawEvent(plan, 'rename', 'bob.json', peers)).toEqual({
      ...NOTHING,
      paths: ['peers/bob.json'],
      rescan: true,
    });
  });

  it('ignores hidden entries and editor leftovers: .status, swap files, temp files, backups', () => {
    for (const name of [
      '.status',
      '.git',
      '.bob.json.swp',
      'bob.json.swp',
      'bob.json~',
      'bob.json.tmp',
      '.#bob.json',
    ]) {
      expect(classifyRawEvent(plan, 'rename', name, peers)).toEqual(NOTHING);
      expect(classifyRawEvent(plan, 'change', name, peers)).toEqual(NOTHING);
    }
  });

  it('rescans for any other entry created or removed (it may be a folder), names no file', () => {
    expect(classifyRawEvent(plan, 'rename', 'peers', '/srv/rev-1')).toEqual(RESCAN);
    expect(classifyRawEvent(plan, 'change', 'README.md', '/srv/rev-1')).toEqual(NOTHING);
  });

  it('restarts when the watched folder itself is deleted or moved (the event carries its own name, hidden or not)', () => {
    expect(classifyRawEvent(plan, 'rename', 'peers', peers)).toEqual(UNKNOWN);
    expect(classifyRawEvent(plan, 'rename', '.state', '/srv/rev-1/.state')).toEqual(UNKNOWN);
  });

  it("leaves a `*.json` symlink's own watch to chokidar's change event, and names it from there", () => {
    expect(classifyRawEvent(plan, 'change', 'carol.json', '/srv/rev-1/peers/carol.json')).toEqual(NOTHING);
    expect(classifyLinkEvent(plan, '/srv/rev-1/peers/carol.json')).toEqual({ ...NOTHING, paths: ['peers/carol.json'] });
    expect(classifyLinkEvent(plan, '/srv/rev-1/peers/bob.json')).toEqual(UNKNOWN);
  });

  it('cannot name files in a folder reached through several paths', () => {
    expect(classifyRawEvent(plan, 'change', 'bob.json', '/srv/rev-1/again')).toEqual({ ...NOTHING, all: true });
  });

  it('cannot say anything about an event without a name, or from a folder it did not plan (a polling chokidar)', () => {
    expect(classifyRawEvent(plan, 'rename', null, peers)).toEqual(UNKNOWN);
    expect(classifyRawEvent(plan, 'change', 'bob.json', null)).toEqual(UNKNOWN);
    expect(classifyRawEvent(plan, 'change', 'bob.json', '/srv/rev-1/cells')).toEqual(UNKNOWN);
  });
});

describe('ChangeCollector and changeReport', () => {
  it('collects a burst, hands it over once, then starts empty', () => {
    const collector = new ChangeCollector();
    expect(collector.add(NOTHING)).toBe(false);
    expect(collector.add({ ...NOTHING, paths: ['a.json'] })).toBe(true);
    expect(collector.add({ ...NOTHING, paths: ['a.json', 'peers/b.json'], rescan: true })).toBe(true);
    const burst = collector.take();
    expect(burst).toEqual({ paths: new Set(['a.json', 'peers/b.json']), all: false, rescan: true, restart: false });
    expect(changeReport(burst, false)).toEqual(new Set(['a.json', 'peers/b.json']));
    expect(collector.add(UNKNOWN)).toBe(true);
    expect(collector.take()).toEqual({ paths: new Set(), all: true, rescan: true, restart: true });
    expect(collector.take()).toEqual({ paths: new Set(), all: false, rescan: false, restart: false });
  });

  it("reports 'all' when the tree changed shape or a change could not be named, nothing when nothing changed", () => {
    expect(changeReport({ paths: new Set(['a.json']), all: false }, true)).toBe('all');
    expect(changeReport({ paths: new Set(), all: true }, false)).toBe('all');
    expect(changeReport({ paths: new Set(), all: false }, false)).toBeNull();
  });
});
