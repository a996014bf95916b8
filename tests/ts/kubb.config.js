// kubb: types, zod schemas and a fetch client whose functions parse every
// response with those schemas, generated from the OpenAPI 3.1 edition.
import { defineConfig } from "@kubb/core";
import { pluginOas } from "@kubb/plugin-oas";
import { pluginTs } from "@kubb/plugin-ts";
import { pluginZod } from "@kubb/plugin-zod";
import { pluginClient } from "@kubb/plugin-client";

export default defineConfig({
  root: ".",
  input: { path: "../../api/openapi-3.1.yaml" },
  output: { path: "./gen/kubb", clean: true, format: false, extension: { ".ts": ".js" } },
  plugins: [
    pluginOas({ generators: [] }),
    pluginTs(),
    pluginZod(),
    pluginClient({ client: "fetch", parser: "zod" }),
  ],
});
