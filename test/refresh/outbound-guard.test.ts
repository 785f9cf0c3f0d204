import assert from 'node:assert/strict';
import type { LookupAddress } from 'node:dns';
import { describe, it } from 'mocha';
import {
  classifyAddress,
  OutboundBlockedError,
  resolveTokenEndpoint,
} from '../../src/refresh/outbound-guard.js';

const resolver =
  (...addresses: string[]) =>
  async (): Promise<LookupAddress[]> =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));

describe('refresh: outbound guard', () => {
  it('classifies loopback, private, link-local, reserved and public addresses', () => {
    const cases: [string, string][] = [
      ['127.0.0.1', 'loopback'],
      ['127.8.9.10', 'loopback'],
      ['::1', 'loopback'],
      ['::ffff:127.0.0.1', 'loopback'],
      ['10.1.2.3', 'private'],
      ['172.16.0.1', 'private'],
      ['192.168.1.1', 'private'],
      ['169.254.169.254', 'private'],
      ['100.64.0.1', 'private'],
      ['0.0.0.0', 'private'],
      ['224.0.0.1', 'private'],
      ['::', 'private'],
      ['fe80::1', 'private'],
      ['fd00::1', 'private'],
      ['::ffff:10.0.0.1', 'private'],
      ['::ffff:a9fe:a9fe', 'private'],
      ['64:ff9b::a00:1', 'private'],
      ['8.8.8.8', 'public'],
      ['93.184.216.34', 'public'],
      ['2606:4700::1111', 'public'],
      ['::ffff:8.8.8.8', 'public'],
      // SIIT IPv4-translated and local-use NAT64 are non-public whatever IPv4 address they carry.
      ['::ffff:0:8.8.8.8', 'private'],
      ['::ffff:0:a00:1', 'private'],
      ['64:ff9b:1::808:808', 'private'],
      ['64:ff9b::808:808', 'public'],
      ['0:0:0:0:0:ffff:0a00:0001', 'private'],
      ['fe80::1%eth0', 'private'],
      ['not-an-ip', 'private'],
    ];
    for (const [address, expected] of cases) assert.equal(classifyAddress(address), expected, address);
  });

  it('accepts an https URL whose host resolves only to public addresses, and pins the first', async () => {
    const ep = await resolveTokenEndpoint('https://idp.example.com/oauth/token?x=1', {
      allowLoopback: false,
      resolve: resolver('93.184.216.34', '2606:4700::1111'),
    });
    assert.equal(ep.address, '93.184.216.34');
    assert.equal(ep.family, 4);
    // Both lookup signatures net.connect may use answer with the pinned address.
    const single = await new Promise<[string, number]>((resolve) =>
      ep.lookup('evil.example', {}, ((_e: unknown, a: string, f: number) => resolve([a, f])) as never),
    );
    assert.deepEqual(single, ['93.184.216.34', 4]);
    const all = await new Promise<unknown>((resolve) =>
      ep.lookup('evil.example', { all: true }, ((_e: unknown, list: unknown) => resolve(list)) as never),
    );
    assert.deepEqual(all, [{ address: '93.184.216.34', family: 4 }]);
  });

  it('rejects a host with any private address among its answers (DNS rebinding)', async () => {
    await assert.rejects(
      resolveTokenEndpoint('https://idp.example.com/token', {
        allowLoopback: true,
        resolve: resolver('93.184.216.34', '10.0.0.5'),
      }),
      OutboundBlockedError,
    );
  });

  it('rejects private and link-local literals even with loopback allowed', async () => {
    for (const url of ['https://10.0.0.1/token', 'https://169.254.169.254/latest', 'https://[fd00::1]/t']) {
      await assert.rejects(resolveTokenEndpoint(url, { allowLoopback: true }), OutboundBlockedError, url);
    }
  });

  it('allows loopback (and plain http to it) only with OAUTH_ALLOW_LOOPBACK_HTTP', async () => {
    await assert.rejects(resolveTokenEndpoint('http://127.0.0.1:9/token', { allowLoopback: false }), /https/);
    await assert.rejects(
      resolveTokenEndpoint('https://127.0.0.1/token', { allowLoopback: false }),
      /non-public/,
    );
    const ep = await resolveTokenEndpoint('http://127.0.0.1:9/token', { allowLoopback: true });
    assert.equal(ep.address, '127.0.0.1');
    const local = await resolveTokenEndpoint('http://localhost:9/token', {
      allowLoopback: true,
      resolve: resolver('::1'),
    });
    assert.equal(local.family, 6);
    await assert.rejects(
      resolveTokenEndpoint('http://evil.localhost/token', {
        allowLoopback: true,
        resolve: resolver('93.184.216.34'),
      }),
      /loopback addresses only/,
    );
  });

  it('rejects http to public hosts, other schemes, credentials in the URL and unresolvable hosts', async () => {
    const opts = { allowLoopback: true, resolve: resolver('93.184.216.34') };
    await assert.rejects(resolveTokenEndpoint('http://idp.example.com/token', opts), /https/);
    await assert.rejects(resolveTokenEndpoint('ftp://idp.example.com/token', opts), /https/);
    await assert.rejects(resolveTokenEndpoint('https://user:pw@idp.example.com/token', opts), /credentials/);
    await assert.rejects(resolveTokenEndpoint('not a url', opts), /valid URL/);
    const failing = async (): Promise<LookupAddress[]> => {
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    await assert.rejects(
      resolveTokenEndpoint('https://nowhere.invalid/token', { allowLoopback: false, resolve: failing }),
      /could not be resolved \(ENOTFOUND\)/,
    );
  });
});
