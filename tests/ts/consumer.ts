// A small consumer of the types openapi-typescript generates from api/openapi.yaml.
// CI compiles it with `tsc --strict`: if the document stops describing /logs in a way
// another language's generator can use, this stops compiling.
import type { components, paths } from "./gen/schema";

type LogsQuery = NonNullable<paths["/logs"]["get"]["parameters"]["query"]>;
type LogsPage = paths["/logs"]["get"]["responses"][200]["content"]["application/json"];
type AuditEntry = components["schemas"]["AuditEntry"];
type ErrorBody = components["schemas"]["ErrorResponse"];

/** Fetches every page of /logs, re-sending the filters with each cursor. */
export async function* allLogs(
  baseURL: string,
  token: string,
  query: Omit<LogsQuery, "cursor">,
): AsyncGenerator<AuditEntry> {
  let cursor: string | undefined;
  for (;;) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined) params.set(key, String(value));
    }
    if (cursor) params.set("cursor", cursor);
    const res = await fetch(`${baseURL.replace(/\/$/, "")}/logs?${params}`, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({ error: "unknown_error" }))) as ErrorBody;
      throw new Error(`audit logs: HTTP ${res.status}: ${body.error}`);
    }
    const page = (await res.json()) as LogsPage;
    yield* page.entries;
    cursor = page.response_metadata?.next_cursor;
    if (!cursor) return;
  }
}

/** Describes one entry the way a person reads it: who did what to which object. */
export function describe(e: AuditEntry): string {
  const who = e.actor.user?.email ?? e.actor.user?.id ?? e.actor.type;
  const session = e.context.session_id;
  const sessionText = typeof session === "number" ? session.toFixed(0) : (session ?? "");
  const users = e.details?.succeeded_users;
  const count = Array.isArray(users) ? users.length : users ? 1 : 0;
  return `${new Date(e.date_create * 1000).toISOString()} ${who} ${e.action} ${e.entity.type} ${sessionText} ${count}`;
}

export async function main(): Promise<void> {
  const query: Omit<LogsQuery, "cursor"> = { action: "user_login", limit: 200, oldest: 1_700_000_000 };
  for await (const e of allLogs("http://127.0.0.1:8080/audit/v1", "xoxp-test", query)) {
    console.log(describe(e));
  }
}
