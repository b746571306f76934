/**
 * TypeScript client for the OpenGov-Food gRPC API (opengovfood.v1).
 *
 * Generated messages and service descriptors (protobuf-es) live in ./gen; this
 * file adds a small wrapper: one gRPC transport (Connect's, over HTTP/2), typed
 * clients for the three services, and sign-in (login keeps the token pair and
 * refreshes the access token shortly before it expires, and once after an
 * UNAUTHENTICATED answer).
 *
 *   const og = new OpenGovFoodClient({ address: "127.0.0.1:50051" });
 *   await og.login("ann@example.org", "a long passphrase");
 *   const item = await og.items.createItem({ item: { title: "Walk-in cooler at 9 C" }, requestId: randomUUID() });
 *   for await (const event of og.items.watchItems({})) console.log(event.type, event.item?.title);
 */

import { create } from "@bufbuild/protobuf";
import {
  type CallOptions,
  type Client,
  Code,
  ConnectError,
  createClient,
  type Interceptor,
  type Transport,
} from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type * as http2 from "node:http2";

import { BadRequestSchema, RetryInfoSchema } from "./gen/google/rpc/error_details_pb.js";
import { AgentService } from "./gen/opengovfood/v1/agent_pb.js";
import { EstablishmentService } from "./gen/opengovfood/v1/establishments_pb.js";
import { ItemService } from "./gen/opengovfood/v1/items_pb.js";
import {
  LoginRequestSchema,
  LogoutRequestSchema,
  RefreshTokenRequestSchema,
  type TokenResponse,
  UserService,
} from "./gen/opengovfood/v1/users_pb.js";

export * from "./gen/opengovfood/v1/agent_pb.js";
export * from "./gen/opengovfood/v1/establishments_pb.js";
export * from "./gen/opengovfood/v1/items_pb.js";
export * from "./gen/opengovfood/v1/users_pb.js";
export { Code, ConnectError } from "@connectrpc/connect";

/** Methods that take no token. */
const PUBLIC_METHODS = new Set([
  "opengovfood.v1.UserService/Register",
  "opengovfood.v1.UserService/Login",
  "opengovfood.v1.UserService/RefreshToken",
]);

/** Refresh this long before expiry: a tenth of the lifetime, at most a minute. */
const MAX_REFRESH_MARGIN_MS = 60_000;

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  expiresAt: number;
  issuedAt: number;
}

export interface ClientOptions {
  /** host:port (plaintext, e.g. "127.0.0.1:50051") or a URL ("https://api.example.org"). */
  address: string;
  /** A service token (or any access token), used as is. */
  token?: string;
  /** A saved token pair to continue a session. */
  tokens?: TokenPair;
  /** Called with every new token pair (and null on logout), e.g. to save it. */
  onTokens?: (tokens: TokenPair | null) => void;
  /** TLS options for https addresses: ca, cert, key (mutual TLS), servername. */
  tls?: http2.SecureClientSessionOptions;
}

function tokenPair(response: TokenResponse, now = Date.now()): TokenPair {
  return {
    accessToken: response.accessToken,
    refreshToken: response.refreshToken,
    expiresAt: now + Number(response.expiresIn) * 1000,
    issuedAt: now,
  };
}

function refreshDue(pair: TokenPair, now = Date.now()): boolean {
  const margin = Math.min(MAX_REFRESH_MARGIN_MS, Math.max(0, pair.expiresAt - pair.issuedAt) / 10);
  return now >= pair.expiresAt - margin;
}

export class OpenGovFoodClient {
  readonly users: Client<typeof UserService>;
  readonly items: Client<typeof ItemService>;
  readonly agent: Client<typeof AgentService>;
  readonly establishments: Client<typeof EstablishmentService>;
  readonly transport: Transport;
  readonly #session: Http2SessionManager;

  #static: string | undefined;
  #pair: TokenPair | undefined;
  #refreshing: Promise<void> | undefined;
  readonly #onTokens: ((tokens: TokenPair | null) => void) | undefined;

  constructor(options: ClientOptions) {
    if (options.token && options.tokens) {
      throw new Error("pass either token (a service token) or tokens, not both");
    }
    this.#static = options.token;
    this.#pair = options.tokens;
    this.#onTokens = options.onTokens;
    const baseUrl = /^[a-z]+:\/\//.test(options.address)
      ? options.address
      : `http://${options.address}`;
    // Our own session manager, so close() can end the HTTP/2 connection.
    this.#session = new Http2SessionManager(
      baseUrl,
      // HTTP/2 keepalive: idle watch streams survive NATs, dead peers are noticed.
      { pingIntervalMs: 30_000, pingTimeoutMs: 10_000 },
      options.tls,
    );
    this.transport = createGrpcTransport({
      baseUrl,
      sessionManager: this.#session,
      interceptors: [this.#auth()],
    });
    this.users = createClient(UserService, this.transport);
    this.items = createClient(ItemService, this.transport);
    this.agent = createClient(AgentService, this.transport);
    this.establishments = createClient(EstablishmentService, this.transport);
  }

  /** Closes the connection (and any open streams). */
  close(): void {
    this.#session.abort();
  }

  get tokens(): TokenPair | undefined {
    return this.#pair;
  }

  /** Signs in; the client keeps and refreshes the tokens from now on. */
  async login(email: string, password: string, options?: CallOptions): Promise<TokenPair> {
    const response = await this.users.login(create(LoginRequestSchema, { email, password }), options);
    this.#setPair(tokenPair(response));
    return this.#pair!;
  }

  /** Revokes the refresh token and forgets the tokens. */
  async logout(options?: CallOptions): Promise<void> {
    const pair = this.#pair;
    if (pair) {
      try {
        await this.users.logout(
          create(LogoutRequestSchema, { refreshToken: pair.refreshToken }),
          options,
        );
      } catch (error) {
        // Already revoked or expired: nothing left to revoke.
        if (ConnectError.from(error).code !== Code.Unauthenticated) throw error;
      }
    }
    this.#setPair(undefined);
  }

  /** Exchanges the refresh token for a new pair now (one refresh at a time). */
  refresh(): Promise<void> {
    const pair = this.#pair;
    if (!pair) return Promise.reject(new ConnectError("not signed in", Code.Unauthenticated));
    // Refresh tokens are single use: concurrent refreshes would revoke the session.
    this.#refreshing ??= this.users
      .refreshToken(create(RefreshTokenRequestSchema, { refreshToken: pair.refreshToken }))
      .then(
        (response) => this.#setPair(tokenPair(response)),
        (error: unknown) => {
          if (ConnectError.from(error).code === Code.Unauthenticated) this.#setPair(undefined);
          throw error;
        },
      )
      .finally(() => {
        this.#refreshing = undefined;
      });
    return this.#refreshing;
  }

  #setPair(pair: TokenPair | undefined): void {
    this.#static = undefined;
    this.#pair = pair;
    this.#onTokens?.(pair ?? null);
  }

  #bearer(): string | undefined {
    return this.#static ?? this.#pair?.accessToken;
  }

  #auth(): Interceptor {
    return (next) => async (req) => {
      if (PUBLIC_METHODS.has(`${req.service.typeName}/${req.method.name}`)) return next(req);
      if (this.#pair && refreshDue(this.#pair)) await this.refresh();
      const sent = this.#bearer();
      if (sent) req.header.set("authorization", `Bearer ${sent}`);
      try {
        return await next(req);
      } catch (error) {
        const retry =
          !req.stream &&
          this.#pair !== undefined &&
          ConnectError.from(error).code === Code.Unauthenticated;
        if (!retry) throw error;
        // Refresh once (unless another call already did) and try again.
        if (this.#bearer() === sent) await this.refresh();
        req.header.set("authorization", `Bearer ${this.#bearer()}`);
        return await next(req);
      }
    };
  }
}

/** Field violations (google.rpc.BadRequest) of an INVALID_ARGUMENT error. */
export function fieldViolations(error: unknown): { field: string; description: string }[] {
  return ConnectError.from(error)
    .findDetails(BadRequestSchema)
    .flatMap((detail) =>
      detail.fieldViolations.map((v) => ({ field: v.field, description: v.description })),
    );
}

/** Seconds to wait before retrying a RESOURCE_EXHAUSTED error (google.rpc.RetryInfo). */
export function retryAfterSeconds(error: unknown): number | undefined {
  const [info] = ConnectError.from(error).findDetails(RetryInfoSchema);
  if (!info?.retryDelay) return undefined;
  return Number(info.retryDelay.seconds) + info.retryDelay.nanos / 1e9;
}
