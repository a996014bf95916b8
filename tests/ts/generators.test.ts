// Run-time proof that the spec serves the generators teams in other
// languages use, each with its own generated client and its own run-time
// validation: kubb and openapi-zod-client from the OpenAPI 3.1 edition
// (api/openapi-3.1.yaml), orval from both editions. Each must accept every
// fixture of api/testdata/logs and every page of the project's fake of
// Slack (whose entries carry session_id as a number, a string, null or not
// at all), and must reject a page the spec does not allow, which proves its
// validation runs. Run with `npm test` after `npm run gen`.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

import { getLogs as kubbGetLogs } from "./gen/kubb/clients/getLogs.js";
import { getSchemas as kubbGetSchemas } from "./gen/kubb/clients/getSchemas.js";
import { getActions as kubbGetActions } from "./gen/kubb/clients/getActions.js";
import { getLogs200Schema as kubbLogsSchema } from "./gen/kubb/zod/getLogsSchema.js";
import * as orval30 from "./gen/orval30/client.js";
import * as orval30zod from "./gen/orval30/zod.js";
import * as orval31 from "./gen/orval31/client.js";
import * as orval31zod from "./gen/orval31/zod.js";
import { createApiClient, schemas as zodiosSchemas } from "auditlogs-zodios";
import { z as z3 } from "auditlogs-zodios/zod";
import { fixturesDir, readFixture, repoRoot, useFake, type Fake } from "./fake.js";

const fake = useFake();

/** A page of /logs as every tool's types agree on it. */
interface Page {
  entries: { id: string; context: { session_id?: unknown } }[];
  response_metadata?: { next_cursor?: string };
}

/** One generator: its own validation and its own generated client. */
interface Tool {
  name: string;
  pkg: string; // the npm package whose version is reported
  edition: "3.0.3" | "3.1";
  /** The tool's schema of the /logs 200 body: throws if it refuses one. */
  parseLogs(body: unknown): unknown;
  /** One page of /logs through the tool's client, validated by it. */
  getLogs(f: Fake, query: { limit: number; cursor?: string }): Promise<Page>;
  /** /schemas and /actions through the tool's client, validated by it. */
  getSchemas(f: Fake): Promise<unknown>;
  getActions(f: Fake): Promise<unknown>;
}

function auth(f: Fake) {
  return { Authorization: `Bearer ${f.token}` };
}

/**
 * orval's fetch client returns each body with its status, and orval's zod
 * schemas check it; the client reads its base URL from AUDITLOGS_BASE_URL
 * when it sends (orval.config.js).
 */
function orvalTool(edition: "3.0.3" | "3.1", client: typeof orval30, zod: typeof orval30zod): Tool {
  const ok = (r: { status: number; data: unknown }): unknown => {
    assert.equal(r.status, 200, `status ${r.status}: ${JSON.stringify(r.data)}`);
    return r.data;
  };
  const at = (f: Fake) => (process.env.AUDITLOGS_BASE_URL = f.base_url);
  return {
    name: "orval",
    pkg: "orval",
    edition,
    parseLogs: (body) => zod.GetLogsResponse.parse(body),
    async getLogs(f, query) {
      at(f);
      return zod.GetLogsResponse.parse(ok(await client.getLogs(query, { headers: auth(f) }))) as Page;
    },
    async getSchemas(f) {
      at(f);
      return zod.GetSchemasResponse.parse(ok(await client.getSchemas()));
    },
    async getActions(f) {
      at(f);
      return zod.GetActionsResponse.parse(ok(await client.getActions()));
    },
  };
}

const tools: Tool[] = [
  {
    // kubb's fetch client parses every response with kubb's zod schema
    // (pluginClient's parser: "zod") before it returns it.
    name: "kubb",
    pkg: "@kubb/core",
    edition: "3.1",
    parseLogs: (body) => kubbLogsSchema.parse(body),
    getLogs: (f, query) => kubbGetLogs(query, { baseURL: f.base_url, headers: auth(f) }) as Promise<Page>,
    getSchemas: (f) => kubbGetSchemas({ baseURL: f.base_url }),
    getActions: (f) => kubbGetActions({ baseURL: f.base_url }),
  },
  {
    // The Zodios client openapi-zod-client writes validates every response
    // with its zod schemas before it returns it.
    name: "openapi-zod-client",
    pkg: "openapi-zod-client",
    edition: "3.1",
    parseLogs: (body) => zodiosSchemas.LogsResponse.parse(body),
    getLogs: (f, query) => createApiClient(f.base_url).getLogs({ queries: query, headers: auth(f) }) as Promise<Page>,
    getSchemas: (f) => schemasWorkaround(f), // see the end of this file
    getActions: (f) => createApiClient(f.base_url).getActions(),
  },
  orvalTool("3.0.3", orval30, orval30zod),
  orvalTool("3.1", orval31 as unknown as typeof orval30, orval31zod as unknown as typeof orval30zod),
];

function versionOf(pkg: string): string {
  const file = join(repoRoot, "tests/ts/node_modules", pkg, "package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

const names = readdirSync(fixturesDir).filter((n) => n.endsWith(".json"));
const summary: string[] = [];

after(() => {
  // The README's table quotes these lines.
  for (const line of summary) console.log(`# ${line}`);
});

for (const tool of tools) {
  describe(`${tool.name} ${versionOf(tool.pkg)}, from the ${tool.edition} edition`, () => {
    let fixturesAccepted = 0;
    let pagesAccepted = 0;
    let pagesSeen = 0;
    let entriesSeen = 0;
    let nullSessions = 0;

    test("there are fixtures", () => assert.ok(names.length >= 4, `${names.length} fixtures`));
    for (const name of names) {
      test(`accepts ${name}`, () => {
        tool.parseLogs(readFixture(name));
        fixturesAccepted++;
      });
    }

    // What the tool must refuse: each case breaks one member of a valid
    // fixture entry (the ones every tool checks; none of them coerces).
    const wrong: { name: string; edit: (e: Record<string, any>) => void }[] = [
      { name: "session_id an object", edit: (e) => (e.context.session_id = { id: 1 }) },
      { name: "session_id a boolean", edit: (e) => (e.context.session_id = true) },
      { name: "reason a number", edit: (e) => (e.details.reason = 5) },
      { name: "ua null", edit: (e) => (e.context.ua = null) },
      { name: "id a number", edit: (e) => (e.id = 7) },
    ];
    for (const c of wrong) {
      test(`refuses a page with ${c.name}`, () => {
        const page = readFixture("anomaly.json") as { entries: Record<string, any>[] };
        c.edit(page.entries[0]!);
        assert.throws(() => tool.parseLogs(page));
      });
    }

    test("pages through every entry of the fake with its own client", async () => {
      const f = fake();
      const ids = new Set<string>();
      let cursor: string | undefined;
      for (;;) {
        pagesSeen++;
        const page = await tool.getLogs(f, cursor === undefined ? { limit: 250 } : { limit: 250, cursor });
        pagesAccepted++;
        for (const e of page.entries) {
          ids.add(e.id);
          entriesSeen++;
          if (e.context.session_id === null) nullSessions++;
        }
        cursor = page.response_metadata?.next_cursor || undefined;
        if (cursor === undefined) break;
        assert.ok(pagesSeen < 1000, "paging does not end");
      }
      assert.equal(entriesSeen, f.entries, "every entry comes back");
      assert.equal(ids.size, f.entries, "each entry once");
      assert.equal(pagesSeen, Math.ceil(f.entries / 250));
      assert.ok(nullSessions > 0, "no entry of the fake has a null session_id: the test proves less than it says");
    });

    test("reads /schemas and /actions of the fake with its own client", async () => {
      const f = fake();
      const s = (await tool.getSchemas(f)) as { schemas: unknown[] };
      assert.ok(s.schemas.length > 0);
      const a = (await tool.getActions(f)) as { actions: Record<string, string[]> };
      assert.ok(Object.keys(a.actions).length > 0);
    });

    after(() => {
      summary.push(
        `${tool.name} ${versionOf(tool.pkg)}, edition ${tool.edition}: fixtures ${fixturesAccepted}/${names.length}, ` +
          `fake pages ${pagesAccepted}/${pagesSeen} (${entriesSeen} entries, ${nullSessions} with session_id null)`,
      );
    });
  });
}

// openapi-zod-client 1.18 turns SchemaDescription (a `type` string beside
// additionalProperties that are objects) into z.record(z.record(z.string())),
// which checks the `type` string against the objects' schema and so
// refuses every /schemas answer. The README's workaround: read /schemas
// with the client's response validation off and check the body with a
// hand-written schema; the tests below prove both the flaw and the fix, so
// a version that reads it right makes the first fail (then drop the
// workaround).

/** The hand-written schema of one /schemas item the workaround uses. */
const schemaDescription = z3.object({ type: z3.string() }).catchall(z3.record(z3.string()));

async function schemasWorkaround(f: Fake): Promise<unknown> {
  const body = await createApiClient(f.base_url, { validate: "request" }).getSchemas();
  return z3.object({ schemas: z3.array(schemaDescription) }).passthrough().parse(body);
}

describe("openapi-zod-client and /schemas", () => {
  test("its own validation refuses the fake's /schemas answer (the flaw the workaround is for)", async () => {
    await assert.rejects(createApiClient(fake().base_url).getSchemas());
    const body = await (await fetch(`${fake().base_url}/schemas`)).json();
    assert.equal(zodiosSchemas.SchemasResponse.safeParse(body).success, false);
  });
  test("the workaround accepts it, and still refuses a wrong shape", async () => {
    const s = (await schemasWorkaround(fake())) as { schemas: unknown[] };
    assert.ok(s.schemas.length > 0);
    assert.equal(schemaDescription.safeParse({ type: "app", app: { id: 5 } }).success, false);
    assert.equal(schemaDescription.safeParse({ app: { id: "string" } }).success, false);
  });
});
