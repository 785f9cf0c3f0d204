// POST /v2/authcheck: lets a client ask "may I?" for several permissions at once, e.g. to grey out
// buttons. A workspace the caller cannot see simply answers false (existence is not revealed).
import { unprocessable } from '../../errors/api-error.js';
import { type AnyRoute, access, route } from '../../http/route-table.js';
import { type AccessPolicy, tenantPermissionsOf } from '../../permissions/access-policy.js';
import {
  isPermission,
  isWorkspacePermission,
  type TenantPermission,
} from '../../permissions/permission-catalogue.js';

export function authcheckRoutes(policy: AccessPolicy): AnyRoute[] {
  return [
    route({
      method: 'POST',
      path: '/v2/authcheck',
      access: access.authenticated,
      response: { status: 200, meta: 'authcheck-result' },
      body: 'authcheck',
      handler: async ({ principal, body }) => {
        const checks = body.meta.checks;
        const problems = Object.entries(checks).flatMap(([name, c]) => {
          const pointer = `/meta/checks/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
          if (!isPermission(c.permission)) {
            return [
              {
                code: 'unknown_permission',
                detail: `"${c.permission}" is not a permission.`,
                pointer: `${pointer}/permission`,
              },
            ];
          }
          if (isWorkspacePermission(c.permission) && c.workspace === undefined) {
            return [
              {
                code: 'missing_member',
                detail: 'A workspace permission needs a workspace id.',
                pointer: `${pointer}/workspace`,
              },
            ];
          }
          return [];
        });
        if (problems.length > 0) throw unprocessable(problems);
        const results: Record<string, boolean> = {};
        for (const [name, c] of Object.entries(checks)) {
          if (isWorkspacePermission(c.permission)) {
            const wsAccess = await policy.workspaceAccess(principal, c.workspace ?? '');
            results[name] = wsAccess?.permissions.has(c.permission) ?? false;
          } else {
            const granted = tenantPermissionsOf(principal, c.tenant ?? principal.tenantId);
            results[name] = granted?.has(c.permission as TenantPermission) ?? false;
          }
        }
        return { status: 200, document: { jsonapi: { version: '1.1' }, meta: { checks: results } } };
      },
    }),
  ];
}
