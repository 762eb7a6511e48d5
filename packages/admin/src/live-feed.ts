import type { ServerResponse } from "node:http";
import type { Logger } from "@mesh/interface";
import type { AdminEvent } from "./admin-source.js";
import type { CapabilityView, ClusterView } from "./cluster-view.js";
import { sendError, toJson } from "./http-util.js";

/** Open dashboards (live feeds) at once; one more is refused with 503. */
export const MAX_FEEDS = 32;
/** A feed whose unsent backlog grows past this is closed (the page reconnects), in bytes. */
const MAX_FEED_BACKLOG_BYTES = 4 << 20;
/** Events the live feed replays to a newly opened dashboard. */
const RECENT_EVENTS = 50;

/** The parts of the view a delta carries when they changed, as the JSON last sent. */
interface SentParts {
  readonly members: string;
  readonly nodes: string;
  /** The capabilities without their shard maps (those are compared by identity). */
  readonly capabilities: string;
}

/**
 * The server-sent events of GET /api/events, shared by every open dashboard.
 * A page gets the whole cluster view once (`cluster`), then once a second only
 * what changed (`cluster-delta`: `at` and whichever of `members`, `nodes`,
 * `capabilities` differ; a shard map that did not change comes as `owners: null`),
 * and nothing when nothing changed. Each frame is built once for all pages, so
 * an open page costs the node one socket write per change.
 */
export class LiveFeed {
  readonly #build: () => Promise<ClusterView>;
  readonly #logger: Logger;
  /** Open pages; `based` once the page has had a whole view (deltas apply to it). */
  readonly #pages = new Map<ServerResponse, { based: boolean }>();
  readonly #recent: AdminEvent[] = [];
  #sent: SentParts | undefined;
  /** The shard maps last sent, by capability: a source hands out the same array while the tables stay. */
  #sentOwners = new Map<string, CapabilityView["owners"]>();
  #refreshing: Promise<void> | undefined;
  #again = false;

  constructor(build: () => Promise<ClusterView>, logger: Logger) {
    this.#build = build;
    this.#logger = logger;
  }

  /** Open pages. */
  get size(): number {
    return this.#pages.size;
  }

  /** Starts a feed on `response` (or refuses it with 503 past {@link MAX_FEEDS}); its first view follows. */
  open(response: ServerResponse): void {
    if (this.#pages.size >= MAX_FEEDS) {
      sendError(response, 503, "MESH_ERR_OVERLOADED", `this endpoint serves at most ${MAX_FEEDS} live feeds`);
      return;
    }
    response.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
    });
    this.#pages.set(response, { based: false });
    response.on("close", () => this.#pages.delete(response));
    for (const event of this.#recent) response.write(`event: event\ndata: ${toJson(event)}\n\n`);
    void this.refresh();
  }

  /** Something happened: every page shows it, and a page opened later gets it replayed. */
  event(event: AdminEvent): void {
    this.#recent.push(event);
    if (this.#recent.length > RECENT_EVENTS) this.#recent.shift();
    if (this.#pages.size === 0) return;
    const frame = `event: event\ndata: ${toJson(event)}\n\n`;
    for (const page of this.#pages.keys()) this.#write(page, frame);
  }

  /** Builds the view and sends each page what it lacks; one build at a time (a call meanwhile runs once more after). */
  refresh(): Promise<void> {
    if (this.#refreshing !== undefined) {
      this.#again = true;
      return this.#refreshing;
    }
    const run = async (): Promise<void> => {
      do {
        this.#again = false;
        await this.#refreshOnce();
      } while (this.#again && this.#pages.size > 0);
    };
    this.#refreshing = run()
      .catch((error: unknown) => this.#logger.debug("live feed update failed", { error: String(error) }))
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  close(): void {
    for (const page of this.#pages.keys()) page.end();
    this.#pages.clear();
  }

  async #refreshOnce(): Promise<void> {
    if (this.#pages.size === 0) return;
    const view = await this.#build();
    const sentOwners = this.#sentOwners;
    let ownersChanged = view.capabilities.length !== sentOwners.size;
    const withoutOwners = view.capabilities.map((c) => {
      if (sentOwners.get(c.capability) !== c.owners) ownersChanged = true;
      return { ...c, owners: null };
    });
    const parts: SentParts = {
      members: toJson(view.members),
      nodes: toJson(view.nodes),
      capabilities: toJson(withoutOwners),
    };
    const sent = this.#sent;
    let delta = "";
    if (parts.members !== sent?.members) delta += `,"members":${parts.members}`;
    if (parts.nodes !== sent?.nodes) delta += `,"nodes":${parts.nodes}`;
    if (ownersChanged || parts.capabilities !== sent?.capabilities) {
      // Only the maps that changed go out in full.
      const capabilities = view.capabilities.map((c, i) =>
        sentOwners.get(c.capability) === c.owners ? withoutOwners[i] : c,
      );
      delta += `,"capabilities":${toJson(capabilities)}`;
    }
    let full: string | undefined;
    const deltaFrame = delta === "" ? undefined : `event: cluster-delta\ndata: {"at":${view.at}${delta}}\n\n`;
    for (const [page, state] of this.#pages) {
      if (!state.based) {
        full ??= `event: cluster\ndata: ${toJson(view)}\n\n`;
        state.based = true;
        this.#write(page, full);
      } else if (deltaFrame !== undefined) this.#write(page, deltaFrame);
    }
    this.#sent = parts;
    this.#sentOwners = new Map(view.capabilities.map((c) => [c.capability, c.owners]));
  }

  #write(page: ServerResponse, frame: string): void {
    // A page that stopped reading must not make the node buffer without end.
    if (page.writableLength > MAX_FEED_BACKLOG_BYTES) {
      this.#pages.delete(page);
      page.destroy();
    } else page.write(frame);
  }
}
