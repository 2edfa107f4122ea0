import { describe, expect, it } from 'vitest';
import { chooseApiAddress } from '../../../src/targets/choose-api-address.js';

const RANGE = '172.20.0.0/16';

describe('chooseApiAddress', () => {
  it("takes the address inside the Cell's ip_range, whichever network sorts first", () => {
    const networks = [
      { network: 'cell_default', address: '172.20.0.5' },
      { network: 'bridge', address: '172.17.0.3' },
    ];
    expect(chooseApiAddress('docker:cell-api', networks, RANGE)).toBe('172.20.0.5');
  });

  it('has no address for a stopped container (no network has one)', () => {
    expect(chooseApiAddress('docker:cell-api', [{ network: 'cell_default', address: '' }], RANGE)).toBeNull();
    expect(chooseApiAddress('docker:cell-api', [], RANGE)).toBeNull();
  });

  it('refuses in one line, naming the container and its networks, when none or several are inside ip_range', () => {
    expect(() => chooseApiAddress('docker:cell-api', [{ network: 'bridge', address: '172.17.0.3' }], RANGE)).toThrow(
      "docker:cell-api: no address inside the Cell's ip_range 172.20.0.0/16 (networks: bridge 172.17.0.3); api rules left as they are",
    );
    const two = [
      { network: 'b', address: '172.20.1.4' },
      { network: 'a', address: '172.20.0.4' },
    ];
    expect(() => chooseApiAddress('docker:cell-api', two, RANGE)).toThrow(
      "docker:cell-api: 2 addresses inside the Cell's ip_range 172.20.0.0/16 (networks: a 172.20.0.4, b 172.20.1.4); api rules left as they are",
    );
  });

  it('without an ip_range (import, no Cell yet) takes the first network by name', () => {
    expect(
      chooseApiAddress(
        'docker:cell-api',
        [
          { network: 'z', address: '10.1.0.2' },
          { network: 'a', address: '10.2.0.2' },
        ],
        null,
      ),
    ).toBe('10.2.0.2');
  });
});
