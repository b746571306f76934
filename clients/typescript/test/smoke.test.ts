/**
 * Smoke test against a real server at OPENGOVFOOD_ADDRESS (`make ts-smoke` starts
 * one): register, login, create, list, watch one event, and a typed error.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import {
  Code,
  ConnectError,
  fieldViolations,
  ItemEventType,
  ItemStatus,
  OpenGovFoodClient,
} from "../src/index.js";

const address = process.env.OPENGOVFOOD_ADDRESS ?? "127.0.0.1:50051";

test("register, login, create, list, watch", async () => {
  const og = new OpenGovFoodClient({ address });
  const email = `ts-smoke-${randomUUID().slice(0, 8)}@example.org`;
  const password = "a long passphrase 1";

  const user = await og.users.register({ email, password, fullName: "TS Smoke" });
  assert.equal(user.email, email);

  const tokens = await og.login(email, password);
  assert.ok(tokens.accessToken && tokens.refreshToken);
  const me = await og.users.getMe({});
  assert.equal(me.id, user.id);

  const request = {
    item: { title: "Walk-in cooler at 9 C", status: ItemStatus.IN_PROGRESS },
    requestId: randomUUID(),
  };
  const created = await og.items.createItem(request);
  assert.equal(created.ownerId, user.id);
  assert.equal(created.status, ItemStatus.IN_PROGRESS);
  // A retry with the same request id answers the first item, not a second one.
  const again = await og.items.createItem(request);
  assert.equal(again.id, created.id);

  const page = await og.items.listItems({ pageSize: 10 });
  assert.equal(page.totalSize, 1);
  assert.deepEqual(
    page.items.map((i) => i.id),
    [created.id],
  );

  // Watch: keep creating until the stream (subscribed concurrently) reports one.
  const abort = new AbortController();
  const titles = new Set<string>();
  const creating = (async () => {
    for (let i = 0; i < 50 && !abort.signal.aborted; i++) {
      const title = `watched ${i}`;
      titles.add(title);
      await og.items.createItem({ item: { title }, requestId: randomUUID() });
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  })();
  let event;
  try {
    // AbortSignal.timeout's timer doesn't keep the process alive (a timeoutMs one would).
    const signal = AbortSignal.any([abort.signal, AbortSignal.timeout(10_000)]);
    for await (const received of og.items.watchItems({}, { signal })) {
      event = received;
      break;
    }
  } finally {
    abort.abort();
  }
  await creating;
  assert.ok(event, "no watch event");
  assert.equal(event.type, ItemEventType.CREATED);
  assert.ok(titles.has(event.item?.title ?? ""), `unexpected item ${event.item?.title}`);

  await og.logout();
  assert.equal(og.tokens, undefined);
  og.close();
});

test("invalid arguments carry field violations", async () => {
  const og = new OpenGovFoodClient({ address });
  const email = `ts-smoke-${randomUUID().slice(0, 8)}@example.org`;
  await og.users.register({ email, password: "a long passphrase 1" });
  await og.login(email, "a long passphrase 1");
  await assert.rejects(og.items.createItem({ item: { title: "" }, requestId: randomUUID() }), (error) => {
    const err = ConnectError.from(error);
    assert.equal(err.code, Code.InvalidArgument);
    assert.ok(
      fieldViolations(err).some((v) => v.field.endsWith("title")),
      JSON.stringify(fieldViolations(err)),
    );
    return true;
  });
  await assert.rejects(og.items.getItem({ id: 999_999_999n }), (error) => {
    assert.equal(ConnectError.from(error).code, Code.NotFound);
    return true;
  });
  og.close();
});

test("no token: UNAUTHENTICATED", async () => {
  const og = new OpenGovFoodClient({ address });
  await assert.rejects(og.items.listItems({}), (error) => {
    assert.equal(ConnectError.from(error).code, Code.Unauthenticated);
    return true;
  });
  og.close();
});
