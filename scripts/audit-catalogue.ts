// The audit catalogue as a Markdown table, for the documentation page on the audit log:
//   node --import tsx scripts/audit-catalogue.ts
// prints it; paste it between the audit-catalogue markers. test/audit-docs.test.ts fails
// when the page and src/audit/events.ts differ.
import { fileURLToPath } from 'node:url'
import { AUDIT_EVENT_NAMES, AUDIT_EVENTS } from '../src/audit/events.ts'

export function catalogueTable(): string {
  const lines = ['| event | label | recorded when | fields |', '| --- | --- | --- | --- |']
  for (const name of AUDIT_EVENT_NAMES) {
    const info = AUDIT_EVENTS[name]
    const fields = info.fields.map((f) => `\`${f}\``).join(', ') || '-'
    lines.push(`| \`${name}\` | ${info.label} | ${info.when.replaceAll('|', '\\|')} | ${fields} |`)
  }
  return `${lines.join('\n')}\n`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.stdout.write(catalogueTable())
