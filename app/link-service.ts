import { createHash } from 'node:crypto';
import {
  type Client,
  isGrpcServiceError,
  WorkflowIdConflictPolicy,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import type { Db } from 'mongodb';
import type { Config } from '../config/schema';
import {
  DELETED_REASON,
  initialSnapshot,
  isClosedStatus,
  type LinkSchedule,
  type Person,
  type Role,
  type SubmitCredentialsAnswer,
  workflowIdFor,
} from '../domain/link';
import type { GreenhouseCredential } from '../greenhouse/credentials';
import { AccessTokenStore } from '../store/access-tokens';
import { ConnectTokenStore } from '../store/connect-tokens';
import { ConnectUrls } from '../store/connect-urls';
import { CredentialVault } from '../store/credential-vault';
import { EmailLog } from '../store/email-log';
import { newId } from '../store/ids';
import { type LinkDoc, LinkStore } from '../store/links';
import { SharedLimits } from '../store/shared-limits';
import { linkWorkflow } from '../workflows/link';
import {
  cancelSignal,
  handOffSignal,
  nextReminderQuery,
  reassignSignal,
  recheckSignal,
  remindNowSignal,
  stateQuery,
  submitCredentialsUpdate,
} from '../workflows/messages';
import type { LinkWorkflowInput } from '../workflows/state';
import { takeHandOff, takeRecheck, takeRemindNow } from './abuse-limits';
import { resumedInput } from './resumed-run';
import { type HistoryPosition, readWorkflowHistoryPage, type WorkflowHistoryEntry } from './workflow-history';

/** gRPC's status code for "no such update" (grpc-js is the SDK's dependency, not ours). */
const GRPC_NOT_FOUND = 5;

/** The answer while the probe of just-submitted credentials is still running. */
const STILL_CHECKING: SubmitCredentialsAnswer = {
  status: 'verifying',
  results: [],
  credentialProblem: null,
  checking: true,
};

/** Temporal did not take the submitted credentials in time (overloaded or unreachable); safe to retry. */
export class CheckNotStarted extends Error {
  constructor() {
    super('the credentials check could not be started in time');
  }
}

/** Only the requester hands a link off: an admin's link has no hand-off (it sends the setup back instead). */
export class HandOffRefused extends Error {
  constructor() {
    super("an admin's link cannot hand the setup off; it can only send it back to the requester");
    this.name = 'HandOffRefused';
  }
}

/** Idempotency keys are remembered for a day; a link id derived from an older use of the key is not reused. */
const IDEMPOTENCY_KEY_LIFETIME_MS = 24 * 3_600_000;

/** The link an app's Idempotency-Key stands for: the same app and key always name the same link. */
export const linkIdForKey = (appId: string, key: string) =>
  `lnk_${createHash('sha256').update(`${appId}\n${key}`).digest().subarray(0, 16).toString('base64url')}`;

export class IdempotencyKeyTaken extends Error {
  constructor(readonly linkId: string) {
    super(`this Idempotency-Key created link ${linkId} more than a day ago; use a new key for a new link`);
    this.name = 'IdempotencyKeyTaken';
  }
}

/** The app has `limit` links open already (ACTIVE_LINKS_PER_APP). */
export class ActiveLinksCapReached extends Error {
  constructor(readonly limit: number) {
    super(`an app may have at most ${limit} active links`);
    this.name = 'ActiveLinksCapReached';
  }
}

export interface NewLink {
  organization: { id: string; name: string };
  requester: Person;
  admin?: Person;
  /** Overrides of the configured reminder / re-probe / expiry schedule for this link. */
  schedule?: Partial<LinkSchedule>;
  /** Watch Greenhouse's Audit Log once linked. */
  auditLog?: boolean;
  permissionSet: string;
  locale: string | null;
  metadata: Record<string, string>;
}

export interface LinkServiceDeps {
  config: Config;
  temporal: Client;
  links: LinkStore;
  tokens: ConnectTokenStore;
  vault: CredentialVault;
  accessTokens: AccessTokenStore;
  emailLog: EmailLog;
  limits: SharedLimits;
  /** False only against Temporal's time-skipping test server, which cannot register search attributes. */
  publishStatus?: boolean;
}

/**
 * The link's use cases, shared by the integrator API, the connect pages, the operator console and the CLI: the
 * one place that talks to a link's workflow (Temporal client side).
 */
export class LinkService {
  private readonly connectUrls: ConnectUrls;

  constructor(private readonly deps: LinkServiceDeps) {
    this.connectUrls = new ConnectUrls(deps.tokens, deps.config.PUBLIC_URL);
  }

  /** A service over its own stores of `db` (for the CLI, benchmarks and tests). */
  static forDatabase(
    db: Db,
    config: Config,
    temporal: Client,
    options: Pick<LinkServiceDeps, 'publishStatus'> = {},
  ): LinkService {
    return new LinkService({
      config,
      temporal,
      links: new LinkStore(db),
      tokens: new ConnectTokenStore(db),
      vault: new CredentialVault(db, config.CREDENTIALS_KEYS),
      accessTokens: new AccessTokenStore(db, config.CREDENTIALS_KEYS),
      emailLog: new EmailLog(db),
      limits: new SharedLimits(db),
      ...options,
    });
  }

  private handle(linkId: string) {
    return this.deps.temporal.workflow.getHandle(workflowIdFor(linkId));
  }

  /**
   * Creates a link and starts its workflow. With an Idempotency-Key the link id is derived from app and key,
   * and every step is idempotent (the row is kept if it exists, the workflow start uses the running one), so
   * a retry after a crash at any step finishes the same link instead of leaving an orphan or making a second.
   */
  async create(appId: string, input: NewLink, options: { idempotencyKey?: string } = {}) {
    const { config, links, temporal } = this.deps;
    const key = options.idempotencyKey;
    const id = key ? linkIdForKey(appId, key) : newId('lnk');
    // Checked before a create, like the other quotas (two racing creates can pass one over); a retry of a
    // create that went through is not a new link.
    if (
      (await links.countActive(appId)) >= config.ACTIVE_LINKS_PER_APP &&
      !(key && (await links.findById(id)))
    )
      throw new ActiveLinksCapReached(config.ACTIVE_LINKS_PER_APP);
    const requiredScopes = [...(config.permissionSets[input.permissionSet] ?? [])];
    const now = new Date();
    let doc: LinkDoc = {
      _id: id,
      appId,
      ...input,
      requiredScopes,
      workflowId: workflowIdFor(id),
      ...initialSnapshot(input.admin),
      createdAt: now,
      updatedAt: now,
    };
    if (key) {
      const existing = await links.insertOrFind(doc);
      if (existing && now.getTime() - existing.createdAt.getTime() > IDEMPOTENCY_KEY_LIFETIME_MS)
        throw new IdempotencyKeyTaken(existing._id);
      doc = existing ?? doc;
    } else {
      await links.insert(doc);
    }
    const workflowInput: LinkWorkflowInput = {
      linkId: id,
      appId,
      requiredScopes,
      requester: doc.requester,
      ...(doc.admin
        ? { admin: { email: doc.admin.email, ...(doc.admin.name ? { name: doc.admin.name } : {}) } }
        : {}),
      organizationName: doc.organization.name,
      locale: doc.locale ?? 'en',
      ...(this.deps.publishStatus === false ? { publishStatus: false } : {}),
      schedule: this.workflowSchedule(doc),
    };
    try {
      await temporal.workflow.start(linkWorkflow, {
        workflowId: doc.workflowId,
        taskQueue: config.TEMPORAL_TASK_QUEUE,
        args: [workflowInput],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      });
    } catch (error) {
      // No workflow, no link: the caller may simply retry. With a key the row stays for the retry to finish.
      if (!key) await links.remove(id);
      throw error;
    }
    const { url, expiresAt } = await this.connectUrls.mint(id, 'requester', config.CONNECT_TOKEN_TTL);
    return { link: doc, connectUrl: url, connectUrlExpiresAt: expiresAt };
  }

  /** A fresh requester connect URL; earlier requester URLs stop working. */
  async newConnectUrl(linkId: string) {
    const { url, expiresAt } = await this.connectUrls.replace(
      linkId,
      'requester',
      this.deps.config.CONNECT_TOKEN_TTL,
    );
    return { connectUrl: url, connectUrlExpiresAt: expiresAt };
  }

  /**
   * The link a connect URL's token opens, and whom it is for. Unknown, expired and revoked tokens, and tokens
   * of a deleted link, all resolve to undefined: they look the same from outside.
   */
  async openConnectToken(token: string): Promise<{ link: LinkDoc; role: Role } | undefined> {
    const found = await this.deps.tokens.resolve(token);
    const link = found && (await this.deps.links.findById(found.linkId));
    return found && link && !link.deletedAt ? { link, role: found.purpose } : undefined;
  }

  /**
   * Encrypts the credentials, then hands the workflow only the record id and waits for the probe, up to
   * CREDENTIALS_CHECK_WAIT. A check still running then (a slow Greenhouse, a busy Temporal) answers
   * `checking: true`; the link's status shows the outcome when it lands.
   */
  async submitCredentials(
    linkId: string,
    credential: GreenhouseCredential,
  ): Promise<SubmitCredentialsAnswer> {
    const { vault, temporal, config } = this.deps;
    const credentialRef = await vault.store(linkId, credential);
    try {
      return await temporal.connection.withDeadline(Date.now() + config.CREDENTIALS_CHECK_WAIT, () =>
        this.handle(linkId).executeUpdate(submitCredentialsUpdate, {
          args: [{ credentialRef }],
          updateId: credentialRef,
        }),
      );
    } catch (error) {
      if (error instanceof WorkflowUpdateRPCTimeoutOrCancelledError) {
        if (await this.updateAdmitted(linkId, credentialRef)) return STILL_CHECKING;
        // Temporal never took them: nothing was checked. The record stays in case the request still lands
        // (it goes with the link otherwise).
        throw new CheckNotStarted();
      }
      // The link refused them (it has ended, or was deleted meanwhile): no secret is kept for nothing.
      if (error instanceof WorkflowUpdateFailedError || error instanceof WorkflowNotFoundError) {
        await vault.remove(credentialRef, linkId);
        // Linked and healthy already: most often this post's own earlier attempt (a retry after a timeout or a
        // 503; bench:faults) landed. Nothing is wrong, so the answer says where the link stands, not 409.
        const now = await this.deps.links.findById(linkId);
        if (now?.status === 'linked' && !now.deletedAt) {
          return { status: 'linked', results: now.lastProbe?.results ?? [], credentialProblem: null };
        }
        // The run may be linked before its row says so (its snapshot write is still queued): ask the run.
        const run =
          now && !now.deletedAt
            ? await this.handle(linkId)
                .query(stateQuery)
                .catch(() => undefined)
            : undefined;
        if (run?.status === 'linked') {
          return { status: 'linked', results: run.lastProbe?.results ?? [], credentialProblem: null };
        }
      }
      throw error;
    }
  }

  /** Whether Temporal holds the update `updateId` of the link's run (admitted: it will be processed). */
  private async updateAdmitted(linkId: string, updateId: string): Promise<boolean> {
    const { temporal, config } = this.deps;
    try {
      await temporal.connection.withDeadline(Date.now() + 2_000, () =>
        temporal.workflowService.pollWorkflowExecutionUpdate({
          namespace: config.TEMPORAL_NAMESPACE,
          updateRef: { workflowExecution: { workflowId: workflowIdFor(linkId) }, updateId },
          waitPolicy: {
            lifecycleStage:
              proto.api.enums.v1.UpdateWorkflowExecutionLifecycleStage
                .UPDATE_WORKFLOW_EXECUTION_LIFECYCLE_STAGE_ADMITTED,
          },
        }),
      );
      return true;
    } catch (error) {
      if (isGrpcServiceError(error) && error.code === GRPC_NOT_FOUND) return false;
      throw error;
    }
  }

  /**
   * "Check again". Asked by people and apps (`by` requester, admin, api), it is limited per link (LimitReached);
   * Greenlink's own asks (a refused call, an operator, the Audit Log) are not.
   */
  async recheck(linkId: string, by: string): Promise<void> {
    if (by === 'requester' || by === 'admin' || by === 'api')
      await takeRecheck(this.deps.limits, linkId, this.deps.config.RECHECK_LIMIT);
    await this.handle(linkId).signal(recheckSignal, { by });
  }

  /**
   * Hands the setup to the admin: an email to an address the visitor typed, so only the requester may, and
   * within ABUSE_LIMITS (LimitReached otherwise).
   */
  async handOff(linkId: string, admin: Person, note: string | undefined, by: Role): Promise<void> {
    if (by !== 'requester') throw new HandOffRefused();
    await takeHandOff(this.deps.limits, linkId, admin.email);
    // A new hand-off: links sent to an earlier admin stop working (the new admin's email brings a fresh one).
    await this.deps.tokens.revokeAll(linkId, 'admin');
    await this.handle(linkId).signal(handOffSignal, { admin, ...(note ? { note } : {}), by });
  }

  async reassign(linkId: string, to: Role, by: string): Promise<void> {
    // Back to the requester ("I'm not the admin"): the admin's links stop working.
    if (to === 'requester') await this.deps.tokens.revokeAll(linkId, 'admin');
    await this.handle(linkId).signal(reassignSignal, { to, by });
  }

  /**
   * When the link's next scheduled reminder is due, as its run says (a query: a worker must answer), or
   * undefined when none is left or the run does not answer within a second (the console shows the rest).
   */
  async nextReminderAt(linkId: string): Promise<Date | undefined> {
    try {
      const { at } = await this.deps.temporal.connection.withDeadline(Date.now() + 1_000, () =>
        this.handle(linkId).query(nextReminderQuery),
      );
      return at === null ? undefined : new Date(at);
    } catch {
      return undefined;
    }
  }

  /** An operator resends the current reminder now; within ABUSE_LIMITS (LimitReached otherwise). */
  async remindNow(linkId: string, by: string): Promise<void> {
    await takeRemindNow(this.deps.limits, linkId);
    await this.handle(linkId).signal(remindNowSignal, { by });
  }

  async cancel(linkId: string, reason: string): Promise<void> {
    await this.handle(linkId).signal(cancelSignal, { reason });
  }

  /**
   * Ends a link for good: its connect and email links stop working at once, its run ends (`cancelled`, reason
   * `deleted`, the `link.cancelled` webhook), and its stored credentials and cached tokens are deleted. The
   * record and its history stay readable. Safe to repeat: each step is idempotent.
   */
  async delete(link: LinkDoc): Promise<void> {
    const { links, tokens, vault, accessTokens } = this.deps;
    await links.markDeleted(link._id);
    await tokens.revokeAll(link._id);
    if (!isClosedStatus(link.status)) await this.endRun(link, DELETED_REASON);
    await Promise.all([vault.removeLink(link._id), accessTokens.remove(link._id)]);
  }

  /**
   * Cancels the link's run. A linked link whose run ended at `linked` (before runs stayed open) gets a new run
   * resumed from its record, so the ending goes through the workflow like any other (persisted, webhook).
   */
  private async endRun(link: LinkDoc, reason: string): Promise<void> {
    const emailsSent = await this.deps.emailLog.countByLink(link._id);
    await this.deps.temporal.workflow.signalWithStart(linkWorkflow, {
      workflowId: link.workflowId,
      taskQueue: this.deps.config.TEMPORAL_TASK_QUEUE,
      args: [resumedInput(link, this.workflowSchedule(link), emailsSent, this.deps.publishStatus)],
      signal: cancelSignal,
      signalArgs: [{ reason }],
    });
  }

  private workflowSchedule(link: Pick<LinkDoc, 'schedule' | 'auditLog'>): LinkSchedule {
    const { config } = this.deps;
    return {
      reminderOffsetsMs: config.REMINDER_SCHEDULE,
      reprobeIntervalsMs: config.REPROBE_SCHEDULE,
      expiryMs: config.LINK_EXPIRY,
      healthCheckMs: config.HEALTH_CHECK_INTERVAL,
      ...(link.auditLog ? { auditLogPollMs: config.AUDIT_LOG_POLL_INTERVAL } : {}),
      ...link.schedule,
    };
  }

  /**
   * A page of the link's story, newest first: Greenlink's own event log (what changed and why) merged with
   * the workflow's Temporal history (signals, updates, activities and their outcomes, timers), without
   * payloads. Each stream is read from where the cursor left it, so a page costs `limit` log rows and the
   * one or two runs it shows, however long the link has lived.
   */
  async timelinePage(linkId: string, limit: number, cursor?: TimelineCursor): Promise<TimelinePage> {
    const logFrom = cursor ? cursor.log : undefined;
    const historyFrom = cursor ? cursor.history : 'latest';
    const [events, history] = await Promise.all([
      logFrom === null ? [] : this.deps.links.timelinePage(linkId, limit + 1, logFrom),
      historyFrom === null
        ? { entries: [], exhausted: true }
        : readWorkflowHistoryPage(this.deps.temporal, workflowIdFor(linkId), historyFrom, limit + 1),
    ]);
    const own = events.map((e) => ({
      seq: e.seq,
      entry: {
        at: e.at,
        source: 'link' as const,
        type: e.type,
        actor: typeof e.data?.by === 'string' ? e.data.by : 'greenlink',
        detail: e.data ?? {},
      },
    }));
    // Newest first: the log by its sequence, the history in Temporal's event order (not quite time order: a
    // completion that arrived during a workflow task is recorded after it), merged by time; at equal times the
    // log entry comes before the workflow event that caused it. Resuming a merge from its heads gives the same
    // sequence whatever the page size.
    const page: TimelineEntry[] = [];
    let a = 0;
    let b = 0;
    while (page.length < limit && (a < own.length || b < history.entries.length)) {
      const log = own[a];
      const wf = history.entries[b];
      if (log && (!wf || log.entry.at >= wf.entry.at)) {
        page.push(log.entry);
        a++;
      } else if (wf) {
        page.push(wf.entry);
        b++;
      }
    }
    const more = a < own.length || b < history.entries.length;
    const logDone = a === own.length && own.length <= limit;
    const historyDone = b === history.entries.length && history.exhausted;
    const next: TimelineCursor = {
      log: logDone ? null : a > 0 ? own[a - 1]?.seq : logFrom,
      history: historyDone ? null : b > 0 ? (history.entries[b - 1]?.position ?? null) : historyFrom,
    };
    return { data: page, next: more || !historyDone ? next : undefined };
  }

  /** The latest `max` lines of the story, oldest first (the console's story of a link): one page. */
  async timeline(linkId: string, max = 1000): Promise<TimelineEntry[]> {
    return (await this.timelinePage(linkId, max)).data.reverse();
  }
}

/** Where the next timeline page starts in each stream; null: that stream has nothing more. */
export interface TimelineCursor {
  /** Log entries before this seq (undefined: from the newest). */
  log: number | null | undefined;
  history: HistoryPosition | 'latest' | null;
}

export interface TimelinePage {
  data: TimelineEntry[];
  next: TimelineCursor | undefined;
}

export type TimelineEntry =
  | WorkflowHistoryEntry
  | { at: string; source: 'link'; type: string; actor: string; detail: Record<string, unknown> };
