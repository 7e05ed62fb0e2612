import { lookup as dnsLookup, type LookupAddress, type LookupAllOptions } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';

/**
 * Whether an address is an ordinary public unicast one. Loopback, private (RFC 1918), carrier-grade NAT,
 * link-local (cloud metadata at 169.254.169.254), unique-local, multicast, reserved and unspecified
 * addresses are not; an IPv4-mapped IPv6 address counts as the IPv4 address it carries.
 */
export function isPublicAddress(address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  if (!ipaddr.isValid(bare)) return false;
  let ip = ipaddr.parse(bare);
  if (ip instanceof ipaddr.IPv6 && ip.isIPv4MappedAddress()) ip = ip.toIPv4Address();
  return ip.range() === 'unicast';
}

export class BlockedAddressError extends Error {
  readonly code = 'E_BLOCKED_ADDRESS';
  constructor(host: string) {
    super(`${host} is not a public address; webhooks are only sent to public endpoints`);
    this.name = 'BlockedAddressError';
  }
}

/** dns.lookup, refusing the answer when any address it resolves to is not public. */
const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true } as LookupAllOptions, (error, addresses: LookupAddress[]) => {
    if (error) return callback(error, '', 0);
    if (addresses.length === 0 || addresses.some((a) => !isPublicAddress(a.address)))
      return callback(new BlockedAddressError(hostname), '', 0);
    const first = addresses[0] as LookupAddress;
    if ((options as { all?: boolean }).all)
      return (callback as (e: null, a: LookupAddress[]) => void)(null, addresses);
    callback(null, first.address, first.family);
  });
};

/**
 * The dispatcher webhooks go out through. Unless `allowPrivate` (development and tests only), each
 * connection checks the address it is about to use: an IP literal before connecting, a hostname in the very
 * lookup the socket connects with. Checking at connect time, not when the URL is saved, is what makes DNS
 * rebinding useless (a name that resolved publicly yesterday and to 127.0.0.1 now is refused now).
 */
export function createWebhookAgent(options: { allowPrivate: boolean; timeoutMs?: number }): Agent {
  const timeout = options.timeoutMs ?? 10_000;
  if (options.allowPrivate) return new Agent({ connect: { timeout } });
  const connect = buildConnector({ timeout, lookup: publicOnlyLookup } as buildConnector.BuildOptions);
  return new Agent({
    connect: (target, callback) => {
      if (isIP(target.hostname.replace(/^\[|\]$/g, '')) && !isPublicAddress(target.hostname))
        return callback(new BlockedAddressError(target.hostname), null);
      connect(target, callback);
    },
  });
}

/**
 * Why a URL cannot be a webhook endpoint, as a field message (undefined when it can). Catches the obvious
 * cases when the endpoint is saved; the connect-time check above is what guarantees it.
 */
export function endpointUrlProblem(url: string, allowPrivate: boolean): string | undefined {
  if (allowPrivate) return undefined;
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:')
    return 'must be an https URL (http only with WEBHOOK_ALLOW_PRIVATE=true, for development)';
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const local = host === 'localhost' || host.endsWith('.localhost');
  if (local || (isIP(host) && !isPublicAddress(host)))
    return 'must not point at a loopback, private, link-local or other non-public address';
  return undefined;
}
