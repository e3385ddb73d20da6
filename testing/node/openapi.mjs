// Validates an OpenAPI document (2.0, 3.0, 3.1, 3.2) against the specification's published JSON
// Schema, with the npm package @seriousme/openapi-schema-validator (pinned in package.json).
// Usage: node openapi.mjs <path>; prints VALID <version> and exits 0, or INVALID <errors> and exits 1.
import { Validator } from "@seriousme/openapi-schema-validator";
import { readFileSync } from "node:fs";

const validator = new Validator();
const result = await validator.validate(readFileSync(process.argv[2], "utf8"));
if (result.valid) {
  process.stdout.write("VALID " + validator.version);
} else {
  process.stdout.write("INVALID " + JSON.stringify(result.errors));
  process.exitCode = 1;
}
