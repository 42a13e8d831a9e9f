import type { AdminOverviewDto, PoolDto } from '../api/types.ts';
import { ADMIN_ROLE } from '../domain/access-policy.ts';
import { summaryDto } from './dto.ts';
import { sendJson } from './http-kit.ts';
import type { RouteDeps } from './route-deps.ts';
import { userRoute } from './router.ts';
import type { Route } from './router.ts';

/** The operators view: pools with their VMs, users, recent failures of every user. */
export function adminRoutes(deps: RouteDeps): Route[] {
  return [
    userRoute(
      'GET',
      /^\/api\/admin\/overview$/,
      async (ctx) => {
        const [pools, vms, users, failures] = await Promise.all([
          deps.operators.listPools(),
          deps.operators.listVms(),
          deps.operators.listUsers(),
          deps.executions.list(
            undefined,
            {
              workflowName: '',
              statuses: [],
              createdFrom: undefined,
              createdTo: undefined,
              onlyFailures: true,
            },
            { size: 20, token: '' },
          ),
        ]);
        const loginOf = new Map(users.map((u) => [u.id, u.login]));
        const poolDtos: PoolDto[] = pools.map((pool) => {
          const mine = vms.filter((vm) => vm.poolLabel === pool.label);
          const count = (status: string) => mine.filter((vm) => vm.status === status).length;
          return {
            ...pool,
            ...(pool.maxVms === undefined ? {} : { maxVms: pool.maxVms }),
            vmsRunning: count('RUNNING'),
            vmsIdle: count('IDLE'),
            vmsAllocating: count('ALLOCATING'),
          };
        });
        const overview: AdminOverviewDto = {
          pools: poolDtos,
          users: users.map((u) => ({
            id: u.id,
            login: u.login,
            authProvider: u.authProvider,
            ...(u.createdAt === undefined ? {} : { createdAt: u.createdAt.toISOString() }),
            publicKeyCount: u.publicKeyCount,
            isAdmin: u.rootRoles.includes(ADMIN_ROLE),
          })),
          failures: failures.executions.map((s) =>
            summaryDto(s, loginOf.get(s.userId) ?? s.userId),
          ),
        };
        sendJson(ctx.res, 200, overview);
      },
      'admin',
    ),
  ];
}
