import type { LinkCall, LinkCaller, LinkCallResult } from '../domain/provider';
import type { LinkDoc } from '../store/links';
import { AccessRefused, type LinkAccess } from './link-access';

export type ProxyResult = Exclude<LinkCallResult, { kind: 'credentials_refused' }>;

/**
 * A call for a linked link: its token (shared by every replica, renewed once when the provider refuses it),
 * made by the provider's caller. What the provider's refusals mean for the link is decided here: refused
 * credentials, or a required scope refused, have the link's health checked at once.
 */
export class LinkProxy {
  constructor(private readonly deps: { access: LinkAccess; caller: LinkCaller }) {}

  async forward(link: LinkDoc, call: LinkCall): Promise<ProxyResult> {
    const { access } = this.deps;
    let token = await access.token(link);
    const result = await this.deps.caller.call(call, {
      account: token.account,
      accessToken: () => token.accessToken,
      renew: async () => {
        await access.refused(link);
        token = await access.token(link);
      },
    });
    if (result.kind === 'credentials_refused') {
      access.reportRefusal(link._id);
      throw new AccessRefused({
        kind: 'credentials_rejected',
        problem: 'unauthorized',
        message: result.message,
      });
    }
    // A scope the link requires was granted when last checked: someone took it away since.
    if (result.kind === 'forbidden' && result.scope && link.requiredScopes.includes(result.scope))
      access.reportRefusal(link._id);
    return result;
  }
}
