import { isUniqueViolation } from '../../db/prisma-errors.js';
import { conflict, notFound } from '../../errors/api-error.js';
import type { PrismaClient, TenantRole, User } from '../../generated/prisma/client.js';
import { type Page, toPage } from '../../http/jsonapi/pagination.js';

export function createUserService(prisma: PrismaClient) {
  return {
    async get(tenantId: string, userId: string): Promise<User> {
      const user = await prisma.user.findFirst({ where: { id: userId, tenantId } });
      if (!user) throw notFound('user');
      return user;
    },

    async list(
      tenantId: string,
      opts: { email?: string; size: number; cursor?: string },
    ): Promise<Page<User>> {
      const rows = await prisma.user.findMany({
        where: {
          tenantId,
          ...(opts.email ? { email: opts.email.toLowerCase() } : {}),
          ...(opts.cursor ? { id: { gt: opts.cursor } } : {}),
        },
        orderBy: { id: 'asc' },
        take: opts.size + 1,
      });
      return toPage(rows, opts.size);
    },

    async create(
      tenantId: string,
      input: { email: string; name: string; tenantRole: TenantRole },
    ): Promise<User> {
      try {
        // Emails are stored lower-cased: Basic auth compares them case-insensitively.
        return await prisma.user.create({ data: { ...input, email: input.email.toLowerCase(), tenantId } });
      } catch (err) {
        if (isUniqueViolation(err)) {
          throw conflict('email_taken', 'A user with this email already exists.', {
            pointer: '/data/attributes/email',
          });
        }
        throw err;
      }
    },
  };
}

export type UserService = ReturnType<typeof createUserService>;
