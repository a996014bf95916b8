// @hey-api/openapi-ts: a fetch client, its types, an SDK whose responses are
// validated at run time with zod schemas, all generated from api/openapi.yaml.
import { defineConfig } from "@hey-api/openapi-ts";

export default defineConfig({
  input: "../../api/openapi.yaml",
  output: { path: "gen/heyapi", importFileExtension: ".js" },
  plugins: [
    "@hey-api/client-fetch",
    "@hey-api/typescript",
    "zod",
    { name: "@hey-api/sdk", validator: true },
  ],
});
