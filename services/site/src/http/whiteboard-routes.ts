import { InvalidArgument } from '@lzy/errors';
import { whiteboardDto } from './dto.ts';
import { sendJson } from './http-kit.ts';
import type { RouteDeps } from './route-deps.ts';
import { userRoute } from './router.ts';
import type { Route } from './router.ts';

function dateParam(params: URLSearchParams, name: string): Date | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw new InvalidArgument(`${name} is not a date`);
  return date;
}

/** Whiteboards, read through the public whiteboard API as the signed-in user (iam decides). */
export function whiteboardRoutes(deps: RouteDeps): Route[] {
  return [
    userRoute('GET', /^\/api\/whiteboards$/, async (ctx) => {
      const params = ctx.url.searchParams;
      const found = await deps.whiteboards.list(ctx.user.token(), {
        name: params.get('name') ?? '',
        tags: params.getAll('tag').filter((t) => t !== ''),
        from: dateParam(params, 'from'),
        to: dateParam(params, 'to'),
      });
      found.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0));
      sendJson(ctx.res, 200, { whiteboards: found.map(whiteboardDto) });
    }),
    userRoute('GET', /^\/api\/whiteboards\/(?<id>[^/]+)$/, async (ctx) => {
      const found = await deps.whiteboards.get(ctx.user.token(), ctx.params.id ?? '');
      sendJson(ctx.res, 200, whiteboardDto(found));
    }),
  ];
}
