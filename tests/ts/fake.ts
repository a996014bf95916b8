// Starts the project's fake of Slack (internal/cmd/fakeslack, through
// go run) for a test file, and stops it when the file's tests are done.
import { after, before } from "node:test";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: the test files run from dist/, compiled. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

/** What the fake prints when it is ready. */
export interface Fake {
  base_url: string;
  token: string;
  entries: number;
}

/**
 * Starts the fake before the tests of the calling file (n entries, a fixed
 * seed) and stops it after them; the returned function gives its address.
 */
export function useFake(n = 3000, seed = 11): () => Fake {
  let fake: Fake | undefined;
  let child: ChildProcess;
  before(async () => {
    child = spawn("go", ["run", "./internal/cmd/fakeslack", "-n", String(n), "-seed", String(seed), "-lifetime", "5m"], {
      cwd: repoRoot,
      stdio: ["pipe", "pipe", "inherit"],
    });
    const lines = createInterface({ input: child.stdout! });
    fake = await new Promise<Fake>((resolveFake, reject) => {
      const timer = setTimeout(() => reject(new Error("the fake did not start within 180s")), 180_000);
      child.once("exit", (code) => reject(new Error(`the fake exited with code ${code}`)));
      lines.once("line", (line) => {
        clearTimeout(timer);
        resolveFake(JSON.parse(line) as Fake);
      });
    });
  });
  after(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.stdin!.end(); // the fake stops when its stdin closes
    await exited;
  });
  return () => {
    if (fake === undefined) throw new Error("the fake has not started");
    return fake;
  };
}

export const fixturesDir = join(repoRoot, "api/testdata/logs");

/** One fixture of api/testdata/logs, parsed. */
export function readFixture(name: string): unknown {
  return JSON.parse(readFileSync(join(fixturesDir, name), "utf8"));
}
