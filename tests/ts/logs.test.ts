// Run-time proof that api/openapi.yaml describes what the project's fake of
// Slack serves, in another language: the SDK @hey-api/openapi-ts generates
// from the spec, with its zod response validator on, pages through the fake
// (internal/cmd/fakeslack) and accepts every entry. Run with `npm test`
// after `npm run gen`.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";

import { createClient, type Client } from "./gen/heyapi/client/index.js";
import { getLogs } from "./gen/heyapi/sdk.gen.js";
import type { AuditEntry, GetLogsData } from "./gen/heyapi/types.gen.js";
import { zAuditEntry, zErrorResponse, zGetLogsResponse } from "./gen/heyapi/zod.gen.js";
import { fixturesDir, readFixture, useFake } from "./fake.js";

type Query = NonNullable<GetLogsData["query"]>;

const fake = useFake();

/** A client of the fake that records the URL of every request it sends. */
function fakeClient(token: string | undefined, urls: URL[] = []): Client {
  return createClient({
    baseUrl: fake().base_url,
    ...(token === undefined ? {} : { auth: token }),
    fetch: (input: RequestInfo | URL, init?: RequestInit) => {
      const req = input instanceof Request ? input : new Request(input, init);
      urls.push(new URL(req.url));
      return fetch(req);
    },
  });
}

/**
 * Pages through /logs with the generated SDK, which validates every page
 * with zGetLogsResponse before it returns it, following next_cursor and
 * sending the filters again with each cursor.
 */
async function allEntries(client: Client, filters: Omit<Query, "cursor">): Promise<{ entries: AuditEntry[]; pages: number }> {
  const entries: AuditEntry[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const query: Query = cursor === undefined ? { ...filters } : { ...filters, cursor };
    const { data, response } = await getLogs({ client, query, throwOnError: true });
    assert.equal(response.status, 200);
    pages++;
    entries.push(...data.entries);
    cursor = data.response_metadata?.next_cursor || undefined;
    if (cursor === undefined) return { entries, pages };
    assert.ok(pages < 10_000, "paging does not end");
  }
}

/** The documented shapes an entry shows, for counting what the fake sent. */
function shapesOf(e: AuditEntry): string[] {
  const out: string[] = [];
  const ctx = e.context;
  if (!("session_id" in ctx)) out.push("session_id missing");
  else if (ctx.session_id === null) out.push("session_id null");
  else out.push(`session_id ${typeof ctx.session_id}`);
  if (ctx.ua === "") out.push("ua empty");
  if (ctx.ip_address === "") out.push("ip_address empty");
  if (ctx.acting_agent !== undefined) out.push("acting_agent");
  const d = e.details;
  const ts = d?.action_timestamp;
  if (typeof ts === "number") out.push(`action_timestamp ${String(ts).length} digits`);
  if (Array.isArray(d?.reason)) out.push("reason list");
  else if (typeof d?.reason === "string") out.push("reason string");
  for (const k of ["ip_address_details", "detected_client", "api_call_method", "user_agent_change_details"] as const) {
    if (d?.[k] !== undefined) out.push(k);
  }
  if (e.actor.user?.id?.startsWith("USLACK")) out.push(`actor ${e.actor.user.id}`);
  return out;
}

/** The action most entries carry. */
function mostFrequentAction(all: AuditEntry[]): string {
  const counts = new Map<string, number>();
  for (const e of all) counts.set(e.action, (counts.get(e.action) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1])[0]![0];
}

describe("the generated TypeScript SDK against the fake", () => {
  let everything: AuditEntry[] = [];

  test("pages through every entry, each page validated by the SDK's zod schema", async (t) => {
    const urls: URL[] = [];
    const started = performance.now();
    const { entries, pages } = await allEntries(fakeClient(fake().token, urls), { limit: 250 });
    const ms = performance.now() - started;
    everything = entries;

    assert.equal(entries.length, fake().entries, "every entry comes back");
    assert.equal(new Set(entries.map((e) => e.id)).size, fake().entries, "each entry once");
    assert.equal(pages, Math.ceil(fake().entries / 250));
    assert.equal(urls.length, pages);
    // Validated once more one by one, so that a failure names the entry.
    for (const e of entries) {
      const r = zAuditEntry.safeParse(e);
      assert.ok(r.success, `entry ${e.id} does not validate: ${r.error?.message}`);
    }
    const seen = new Map<string, number>();
    for (const e of entries) for (const s of shapesOf(e)) seen.set(s, (seen.get(s) ?? 0) + 1);
    for (const want of [
      "session_id number", "session_id string", "session_id null", "session_id missing",
      "ua empty", "ip_address empty", "acting_agent",
      "action_timestamp 16 digits", "action_timestamp 13 digits", "reason list", "reason string",
      "ip_address_details", "detected_client", "api_call_method", "user_agent_change_details",
      "actor USLACKUSER", "actor USLACKSECURITY",
    ]) {
      assert.ok((seen.get(want) ?? 0) > 0, `no entry of the fake shows: ${want}`);
    }
    t.diagnostic(`paged ${entries.length} entries in ${pages} pages, all validated, in ${ms.toFixed(0)} ms`);
    t.diagnostic(`shapes: ${[...seen].map(([k, v]) => `${k} ${v}`).join(", ")}`);
  });

  const windows: { name: string; filters: (all: AuditEntry[]) => Omit<Query, "cursor">; match: (e: AuditEntry, f: Omit<Query, "cursor">) => boolean }[] = [
    {
      name: "a time window",
      filters: (all) => ({ oldest: all[2400]!.date_create, latest: all[300]!.date_create, limit: 100 }),
      match: (e, f) => e.date_create >= f.oldest! && e.date_create <= f.latest!,
    },
    {
      name: "a time window and an action",
      // The fake's most frequent action, whatever the fake names its actions.
      filters: (all) => ({ oldest: all[2900]!.date_create, latest: all[100]!.date_create, limit: 40, action: mostFrequentAction(all) }),
      match: (e, f) => e.date_create >= f.oldest! && e.date_create <= f.latest! && e.action === f.action,
    },
  ];
  for (const w of windows) {
    test(`sends the filters again with every cursor: ${w.name}`, async () => {
      assert.equal(everything.length, fake().entries, "needs the full read of the test before");
      const filters = w.filters(everything);
      const want = everything.filter((e) => w.match(e, filters)).length;
      const urls: URL[] = [];
      const { entries, pages } = await allEntries(fakeClient(fake().token, urls), filters);

      // The fake's cursor does not remember the filters (as Slack's does
      // not): a client that did not send them again would run past the
      // window, so the count tells.
      assert.equal(entries.length, want);
      for (const e of entries) assert.ok(w.match(e, filters), `entry ${e.id} is outside the filters`);
      assert.ok(pages >= 3, `only ${pages} pages: the test needs several`);
      // And each request says it, too.
      for (const [i, u] of urls.entries()) {
        for (const [k, v] of Object.entries(filters)) assert.equal(u.searchParams.get(k), String(v), `request ${i}: ${k}`);
        assert.equal(u.searchParams.has("cursor"), i > 0, `request ${i}: cursor`);
      }
    });
  }

  test("a client that drops the filters after the first page runs past the window, so the counts above can tell", async () => {
    const filters = windows[0]!.filters(everything);
    const client = fakeClient(fake().token);
    const first = await getLogs({ client, query: filters, throwOnError: true });
    let cursor = first.data.response_metadata?.next_cursor || undefined;
    const entries = [...first.data.entries];
    while (cursor !== undefined) {
      const { data } = await getLogs({ client, query: { cursor }, throwOnError: true });
      entries.push(...data.entries);
      cursor = data.response_metadata?.next_cursor || undefined;
    }
    const outside = entries.filter((e) => !windows[0]!.match(e, filters)).length;
    assert.ok(outside > 0, "the fake served no entry outside the window to a client that dropped the filters");
  });

  const refusals: { name: string; token: string | undefined; code: string }[] = [
    { name: "a wrong token", token: "xoxp-not-the-one", code: "invalid_auth" },
    { name: "no token", token: undefined, code: "not_authed" },
  ];
  for (const r of refusals) {
    test(`${r.name} gets 401 and a typed error body`, async () => {
      const { data, error, response } = await getLogs({ client: fakeClient(r.token), query: { limit: 10 } });
      assert.equal(response.status, 401);
      assert.equal(data, undefined);
      assert.ok(error !== undefined);
      const body = zErrorResponse.parse(error); // the spec's ErrorResponse
      assert.equal(body.error, r.code);
      assert.notEqual(body.ok, true); // false or missing
      // The SDK types it as the spec's ErrorResponse too.
      const code: string = error.error;
      assert.equal(code, r.code);
    });
  }

  test("the SDK rejects a page the spec does not allow", async () => {
    const good = readFixture("anomaly.json") as { entries: Record<string, any>[] };
    good.entries[0]!.context.session_id = { not: "a scalar" };
    const client = createClient({
      baseUrl: "http://127.0.0.1:9/audit/v1",
      auth: "xoxp-unused",
      fetch: async () => new Response(JSON.stringify(good), { status: 200, headers: { "Content-Type": "application/json" } }),
    });
    await assert.rejects(getLogs({ client, query: { limit: 1 } }), /session_id/);
  });
});

describe("the project's fixtures and the generated zod schema", () => {
  const names = readdirSync(fixturesDir).filter((n) => n.endsWith(".json"));

  test("there are fixtures", () => assert.ok(names.length >= 4, `${names.length} fixtures`));
  for (const name of names) {
    test(`${name} validates as a /logs 200 answer`, () => {
      const r = zGetLogsResponse.safeParse(readFixture(name));
      assert.ok(r.success, r.error?.message);
    });
  }

  // Each case breaks one member of a valid fixture entry; zod must reject
  // the page and name the member. (zod coerces int64 fields to bigint, so
  // it accepts true or "12" there; those are not among the cases.)
  const wrong: { name: string; edit: (e: Record<string, any>) => void; path: string }[] = [
    { name: "session_id an object", edit: (e) => (e.context.session_id = {}), path: "session_id" },
    { name: "session_id a fraction", edit: (e) => (e.context.session_id = 1.5), path: "session_id" },
    { name: "reason a number", edit: (e) => (e.details.reason = 5), path: "reason" },
    { name: "ip_address_details a string", edit: (e) => (e.details.ip_address_details = "new-asn"), path: "ip_address_details" },
    { name: "ua null", edit: (e) => (e.context.ua = null), path: "ua" },
    { name: "actor missing", edit: (e) => delete e.actor, path: "actor" },
    { name: "id a number", edit: (e) => (e.id = 7), path: "id" },
  ];
  for (const c of wrong) {
    test(`a page with ${c.name} is rejected`, () => {
      const page = readFixture("anomaly.json") as { entries: Record<string, any>[] };
      c.edit(page.entries[0]!);
      const r = zGetLogsResponse.safeParse(page);
      assert.equal(r.success, false);
      assert.ok(r.error!.issues.some((i) => i.path.includes(c.path)), `the error does not name ${c.path}: ${r.error!.message}`);
    });
  }
});
