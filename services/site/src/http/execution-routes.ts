import { InvalidArgument } from '@lzy/errors';
import type { ExecutionDetailDto } from '../api/types.ts';
import { executionScope } from '../domain/access-policy.ts';
import type { ExecutionFilter, ExecutionStatus } from '../domain/ports.ts';
import { graphDto, opStatusDto, summaryDto } from './dto.ts';
import { sendJson } from './http-kit.ts';
import type { RouteDeps } from './route-deps.ts';
import { userRoute } from './router.ts';
import type { Route, UserContext } from './router.ts';
import { openEventStream } from './sse.ts';

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'FAILED', 'COMPLETING', 'COMPLETED'];

function dateParam(params: URLSearchParams, name: string): Date | undefined {
  const raw = params.get(name);
  if (raw === null || raw === '') return undefined;
  const date = new Date(raw);
  if (Number.isNaN(date.getTime())) throw new InvalidArgument(`${name} is not a date`);
  return date;
}

function filterOf(params: URLSearchParams): ExecutionFilter {
  const statuses = (params.get('status') ?? '')
    .split(',')
    .filter((s) => s !== '')
    .map((s) => {
      const status = STATUSES.find((known) => known === s);
      if (status === undefined) throw new InvalidArgument(`unknown status ${s}`);
      return status;
    });
  return {
    workflowName: params.get('workflow') ?? '',
    statuses,
    createdFrom: dateParam(params, 'from'),
    createdTo: dateParam(params, 'to'),
    onlyFailures: params.get('failures') === '1',
  };
}

/** Operators may open anyone's execution (from the failures list); users only their own. */
function detailScope(ctx: UserContext): string | undefined {
  return ctx.user.isAdmin ? undefined : ctx.user.userId;
}

/** Executions list (live), one execution (live op states), its std streams (live). */
export function executionRoutes(deps: RouteDeps): Route[] {
  return [
    userRoute('GET', /^\/api\/executions$/, async (ctx) => {
      const params = ctx.url.searchParams;
      const scope = executionScope(ctx.user, params.get('all') === '1');
      const page = await deps.executions.list(scope, filterOf(params), {
        size: Math.min(Number(params.get('pageSize') ?? '50') || 50, 500),
        token: params.get('pageToken') ?? '',
      });
      sendJson(ctx.res, 200, {
        executions: page.executions.map((s) => summaryDto(s)),
        nextPageToken: page.nextPageToken,
      });
    }),
    userRoute('GET', /^\/api\/executions\/events$/, async (ctx) => {
      const scope = executionScope(ctx.user, ctx.url.searchParams.get('all') === '1');
      const stream = openEventStream(ctx.req, ctx.res, deps.stopping);
      try {
        for await (const summary of deps.executions.watchSummaries(scope, stream.signal)) {
          stream.send('execution', summaryDto(summary));
        }
      } catch (err) {
        if (!stream.signal.aborted) ctx.log.warn({ err }, 'executions event stream broke');
      } finally {
        stream.close();
      }
    }),
    userRoute('GET', /^\/api\/executions\/(?<id>[^/]+)$/, async (ctx) => {
      const id = ctx.params.id ?? '';
      const execution = await deps.executions.get(id, detailScope(ctx));
      const detail: ExecutionDetailDto = {
        summary: summaryDto(execution.summary),
        graphs: execution.graphs.map((g) => graphDto(g, deps.layouts.layoutOf(id, g))),
        ops: [],
        logsAvailable: execution.portalAddress !== '',
      };
      sendJson(ctx.res, 200, detail);
    }),
    userRoute('GET', /^\/api\/executions\/(?<id>[^/]+)\/events$/, async (ctx) => {
      const id = ctx.params.id ?? '';
      const scope = detailScope(ctx);
      const execution = await deps.executions.get(id, scope); // NotFound before streaming
      const stream = openEventStream(ctx.req, ctx.res, deps.stopping);
      const follow = async () => {
        for await (const status of deps.live.follow(id, stream.signal)) {
          stream.send('op', opStatusDto(status));
        }
      };
      const summaries = async () => {
        for await (const summary of deps.executions.watchSummaries(
          scope ?? execution.summary.userId,
          stream.signal,
        )) {
          if (summary.executionId === id) stream.send('summary', summaryDto(summary));
        }
      };
      try {
        await Promise.all([follow(), summaries()]);
      } catch (err) {
        if (!stream.signal.aborted) ctx.log.warn({ err }, 'execution event stream broke');
      } finally {
        stream.close();
      }
    }),
    userRoute('GET', /^\/api\/executions\/(?<id>[^/]+)\/logs$/, async (ctx) => {
      const id = ctx.params.id ?? '';
      const execution = await deps.executions.get(id, detailScope(ctx));
      const taskId = ctx.url.searchParams.get('taskId') ?? '';
      const stream = openEventStream(ctx.req, ctx.res, deps.stopping);
      try {
        if (execution.portalAddress !== '') {
          for await (const line of deps.executions.readStd(
            execution.portalAddress,
            0,
            stream.signal,
          )) {
            if (taskId === '' || line.taskId === taskId) stream.send('std', line);
          }
        }
        stream.send('end', {});
      } catch (err) {
        if (!stream.signal.aborted) {
          ctx.log.warn({ err }, 'std stream broke');
          stream.send('end', {});
        }
      } finally {
        stream.close();
      }
    }),
  ];
}
