// Writes local.settings.json from the sample, filling each empty secret with a fresh random value.
import { readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const [source, target] = process.argv.slice(2);
const settings = JSON.parse(readFileSync(source, "utf8"));
const key = () => randomBytes(32).toString("base64");
const generated = {
  Hiroi__Acs__AccessKey: () => key(),
  Hiroi__Recordings__KeyEncryptionKeys: () => `local1:${key()}`,
  Hiroi__Calls__CallbackSigningKeys: () => `local1:${key()}`,
  Hiroi__Privacy__SubjectKey: () => key(),
};
for (const [name, make] of Object.entries(generated)) {
  if (!settings.Values[name]) settings.Values[name] = make();
}
writeFileSync(target, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
