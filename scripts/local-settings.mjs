// Writes local.settings.json from the sample, filling each empty secret with a fresh random value. When the target
// exists, settings added to the sample since are merged in (new secrets generated), existing values are kept, and
// Hiroi settings the sample no longer has (retired with the code that read them) are removed.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";

const [source, target] = process.argv.slice(2);
const sample = JSON.parse(readFileSync(source, "utf8"));
const settings = existsSync(target) ? JSON.parse(readFileSync(target, "utf8")) : sample;
settings.Values ??= {};
const added = [];
for (const [name, value] of Object.entries(sample.Values)) {
  if (!(name in settings.Values)) {
    settings.Values[name] = value;
    added.push(name);
  }
}
const removed = Object.keys(settings.Values).filter((name) => name.startsWith("Hiroi__") && !(name in sample.Values));
for (const name of removed) delete settings.Values[name];
const key = () => randomBytes(32).toString("base64");
const generated = {
  Hiroi__Acs__AccessKey: () => key(),
  Hiroi__Recordings__KeyEncryptionKeys: () => `local1:${key()}`,
  Hiroi__TenantSecrets__KeyEncryptionKeys: () => `local1:${key()}`,
  Hiroi__Calls__CallbackSigningKeys: () => `local1:${key()}`,
  Hiroi__Privacy__SubjectKey: () => key(),
  Hiroi__SignIn__TotpKeys: () => `local1:${key()}`,
};
for (const [name, make] of Object.entries(generated)) {
  if (!settings.Values[name]) settings.Values[name] = make();
}
writeFileSync(target, JSON.stringify(settings, null, 2) + "\n", { mode: 0o600 });
if (added.length > 0 && settings !== sample) console.log(`local.settings.json: added ${added.join(", ")}`);
if (removed.length > 0) console.log(`local.settings.json: removed retired ${removed.join(", ")}`);
