import express, { type Request, type Response, Router } from 'express';
import type { LinkService } from '../../links/service';
import type { ConnectTokenStore } from '../../store/connect-tokens';
import type { LinkStore } from '../../store/links';
import { linkResource } from '../link-resource';
import { connectPage, invalidTokenPage } from '../pages/connect-page';
import { fromZod, problems, sendProblem } from '../problem';
import { credentialsBodySchema, handOffBody } from '../schemas';

/** Browsers post forms and get pages; scripts post JSON and get JSON. */
const wantsJson = (req: Request) =>
  req.is('application/json') !== false && req.is('application/json') !== null;

export function connectRouter(deps: {
  tokens: ConnectTokenStore;
  links: LinkStore;
  service: LinkService;
  legacyV1Enabled: boolean;
}) {
  const router = Router();
  const credentialsBody = credentialsBodySchema(deps.legacyV1Enabled);
  router.use(express.urlencoded({ extended: false, limit: '16kb' }));

  const resolve = async (req: Request, res: Response) => {
    const token = await deps.tokens.resolve(String(req.params.token));
    const link = token && (await deps.links.findById(token.linkId));
    if (!link) {
      if (wantsJson(req) || req.path.endsWith('/status'))
        sendProblem(res, problems.notFound('This connect link'));
      else res.status(404).type('html').send(invalidTokenPage());
      return undefined;
    }
    return { link, purpose: token.purpose };
  };
  const back = (req: Request, res: Response) =>
    res.redirect(303, `/connect/${encodeURIComponent(String(req.params.token))}`);

  router.get('/:token', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const options = { legacyV1Enabled: deps.legacyV1Enabled, purpose: found.purpose };
    res.type('html').send(connectPage(found.link, String(req.params.token), options));
  });

  router.get('/:token/status', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { link } = found;
    const { id, status, permissions, credentialProblem, lastCheckedAt } = linkResource(link);
    res.json({ id, status, permissions, credentialProblem, lastCheckedAt });
  });

  router.post('/:token/credentials', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { link } = found;
    const parsed = credentialsBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const result = await deps.service.submitCredentials(link._id, parsed.data);
    if (wantsJson(req)) return void res.json(result);
    res.redirect(303, `/connect/${encodeURIComponent(String(req.params.token))}`);
  });

  router.post('/:token/recheck', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { link } = found;
    await deps.service.recheck(link._id, link.assignee);
    if (wantsJson(req)) return void res.status(202).json({ recheck: 'requested' });
    res.redirect(303, `/connect/${encodeURIComponent(String(req.params.token))}`);
  });

  router.post('/:token/handoff', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { link, purpose } = found;
    const parsed = handOffBody.safeParse(req.body ?? {});
    if (!parsed.success) throw fromZod(parsed.error);
    const { note, ...admin } = parsed.data;
    await deps.service.handOff(link._id, admin, note, purpose);
    if (wantsJson(req)) return void res.status(202).json({ handOff: 'requested' });
    back(req, res);
  });

  /** "I'm not the admin": only from an admin's link, back to the requester. */
  router.post('/:token/not-admin', async (req, res) => {
    const found = await resolve(req, res);
    if (!found) return;
    const { link, purpose } = found;
    if (purpose !== 'admin') throw problems.conflict("only the admin's link can send the setup back");
    await deps.service.reassign(link._id, 'requester', 'admin');
    if (wantsJson(req)) return void res.status(202).json({ reassign: 'requested' });
    back(req, res);
  });

  return router;
}
