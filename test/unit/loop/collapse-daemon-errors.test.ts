import { describe, expect, test } from 'vitest';
import { collapseDaemonErrors } from '../../../src/loop/collapse-daemon-errors.js';

const DENIED = 'permission denied: run as root or in the docker group';

describe('collapseDaemonErrors', () => {
  test('one line per daemon, naming every target that hit it, in the place of the first', () => {
    const errors = [
      'state error first',
      `docker:cell-wireguard: iptables-save: /var/run/docker.sock: ${DENIED}`,
      `docker:cell-wireguard: ip -j rule: /var/run/docker.sock: ${DENIED}`,
      `docker:cell-caddy: ip -j addr show dev eth0: /var/run/docker.sock: ${DENIED}`,
      'docker:cell-api: no such container',
    ];
    expect(collapseDaemonErrors(errors)).toEqual([
      'state error first',
      `/var/run/docker.sock: ${DENIED} (docker:cell-wireguard, docker:cell-caddy)`,
      'docker:cell-api: no such container',
    ]);
  });

  test('leaves errors of other targets and other causes alone', () => {
    const errors = ['netns:x: iptables-save: exit 1', `local: something: /run/x.sock: ${DENIED}`];
    expect(collapseDaemonErrors(errors)).toEqual(errors);
  });
});
