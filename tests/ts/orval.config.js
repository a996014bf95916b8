// orval, from each edition of the spec: a fetch client, and zod schemas
// (client "zod") that the tests check each page the client returns with.
// (Its fetch client's own runtimeValidation, with schemas of type zod,
// imports zod files for the spec's shared error responses that orval 8.38
// does not write, so the output does not compile; the README says so.)
// The client's base URL is read at run time from AUDITLOGS_BASE_URL
// (orval's baseUrl.runtime), the way an application points it at its
// server.
const editions = { orval30: "../../api/openapi.yaml", orval31: "../../api/openapi-3.1.yaml" };

const common = { mode: "single", tsconfig: "./tsconfig.test.json" }; // NodeNext: imports end in .js, as Node needs

export default Object.fromEntries(
  Object.entries(editions).flatMap(([dir, target]) => [
    [
      `${dir}-client`,
      {
        input: { target },
        output: { ...common, target: `gen/${dir}/client.ts`, client: "fetch", baseUrl: { runtime: "process.env.AUDITLOGS_BASE_URL" } },
      },
    ],
    [`${dir}-zod`, { input: { target }, output: { ...common, target: `gen/${dir}/zod.ts`, client: "zod" } }],
  ]),
);
