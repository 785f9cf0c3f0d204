// An in-memory AuthSecretStore for unit tests of the auth-secret use cases: the reads and the
// read events behave as the real store's do (scoped to the workspace, page in id order); the
// transactional writes are not needed there and refuse loudly.
import type { AuditActor, AuditEventInput } from '../../src/modules/audit-events/audit-recorder.js';
import type {
  AuthSecretRow,
  AuthSecretStore,
  SecretPageQuery,
} from '../../src/modules/auth-secrets/auth-secret-store.js';

export class FakeAuthSecretStore implements AuthSecretStore {
  readonly rows = new Map<string, AuthSecretRow>();
  readonly events: (AuditActor & AuditEventInput)[] = [];

  add(row: AuthSecretRow): this {
    this.rows.set(row.id, row);
    return this;
  }

  async find(workspaceId: string, id: string) {
    const row = this.rows.get(id.toLowerCase());
    return row?.workspaceId === workspaceId ? row : undefined;
  }

  async findAnyWorkspace(id: string) {
    return this.rows.get(id.toLowerCase());
  }

  async exists(workspaceId: string, id: string) {
    return (await this.find(workspaceId, id)) !== undefined;
  }

  async usesClient(tenantId: string, authClientId: string) {
    return [...this.rows.values()].some((r) => r.tenantId === tenantId && r.authClientId === authClientId);
  }

  async findPage(q: SecretPageQuery) {
    return [...this.rows.values()]
      .filter(
        (r) =>
          r.workspaceId === q.workspaceId &&
          (q.userId === undefined || r.userId === q.userId) &&
          (q.authClientId === undefined || r.authClientId === q.authClientId) &&
          (q.state === undefined || r.state === q.state) &&
          (q.afterId === undefined || r.id > q.afterId),
      )
      .sort((a, b) => (a.id < b.id ? -1 : 1))
      .slice(0, q.limit);
  }

  async recordEvents(actor: AuditActor, events: AuditEventInput[]) {
    for (const e of events) this.events.push({ ...actor, ...e });
  }

  lockInWorkspace = refuse;
  create = refuse;
  update = refuse;
  recordVersion = refuse;
  storeRefreshed = refuse;
  noteRefreshFailure = refuse;
  markRefreshFailed = refuse;
}

function refuse(): never {
  throw new Error('FakeAuthSecretStore: transactional writes need the real store');
}
