// The only code that reads and writes connect_sessions. Every read that serves an authenticated
// request is scoped to its workspace; the callback finds its session by the hash of the state alone
// (the state is its only credential) and claims it in one conditional UPDATE, so that of any number
// of concurrent callbacks with one state exactly one goes on to the code exchange.
import { isUuid } from '../../db/uuid7.js';
import type { ConnectSession, Prisma, PrismaClient } from '../../generated/prisma/client.js';

type Db = Prisma.TransactionClient | PrismaClient;

export type NewConnectSession = Omit<
  ConnectSession,
  'status' | 'error' | 'claimedAt' | 'createdAt' | 'updatedAt'
>;

export function createConnectSessionStore(prisma: PrismaClient) {
  return {
    create(db: Db, row: NewConnectSession): Promise<ConnectSession> {
      return db.connectSession.create({ data: row });
    },

    async find(workspaceId: string, id: string): Promise<ConnectSession | null> {
      return isUuid(id) ? prisma.connectSession.findFirst({ where: { id, workspaceId } }) : null;
    },

    /**
     * Takes the pending, unclaimed, unexpired session whose state hashes to `stateHash`, or nothing.
     * The UPDATE is the claim: PostgreSQL lets one of several concurrent ones match the row, the
     * others find `claimed_at` set and update nothing.
     */
    async claim(stateHash: Uint8Array<ArrayBuffer>, now: Date): Promise<ConnectSession | null> {
      const where = { stateHash, status: 'pending' as const, claimedAt: null, expiresAt: { gt: now } };
      const { count } = await prisma.connectSession.updateMany({ where, data: { claimedAt: now } });
      if (count !== 1) return null;
      return prisma.connectSession.findUnique({ where: { stateHash } });
    },

    /** Only the claim's holder calls these, so they need no condition beyond the id. */
    complete(db: Db, id: string, authSecretId: string): Promise<ConnectSession> {
      return db.connectSession.update({
        where: { id },
        data: { status: 'completed', error: null, authSecretId },
      });
    },

    fail(db: Db, id: string, error: string): Promise<ConnectSession> {
      return db.connectSession.update({ where: { id }, data: { status: 'failed', error } });
    },
  };
}

export type ConnectSessionStore = ReturnType<typeof createConnectSessionStore>;
