import { timingSafeEqual } from 'node:crypto';
import { type NextFunction, type Request, type Response, Router } from 'express';
import type { LinkService } from '../../links/service';
import type { LinkStore } from '../../store/links';
import { linkResource } from '../link-resource';
import { problems } from '../problem';

const sameText = (a: string, b: string) =>
  a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Operators (OPERATOR_TOKENS) read any app's link and its whole history, e.g. for support. Read-only. */
export function operatorRouter(deps: { links: LinkStore; service: LinkService; operatorTokens: string[] }) {
  const router = Router();
  router.use((req: Request, _res: Response, next: NextFunction) => {
    const token = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (!token || !deps.operatorTokens.some((t) => sameText(t, token))) {
      return next(
        problems.unauthorized('Send an operator token (OPERATOR_TOKENS) as "Authorization: Bearer <token>"'),
      );
    }
    next();
  });
  const load = async (id: string) => {
    const link = await deps.links.findById(id);
    if (!link) throw problems.notFound(`Link ${id}`);
    return link;
  };
  router.get('/links/:id', async (req, res) => {
    const link = await load(req.params.id);
    res.json({ ...linkResource(link), appId: link.appId });
  });
  router.get('/links/:id/timeline', async (req, res) => {
    const link = await load(req.params.id);
    res.json({ object: 'list', data: await deps.service.timeline(link._id) });
  });
  return router;
}
