import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// The README is a front page; the rest lives in docs/. A link that leads nowhere is
// found here rather than by a reader.
const ROOT = fileURLToPath(new URL('..', import.meta.url))
const README_LINE_BUDGET = 150

const PAGES = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(ROOT, 'docs', name)),
]

/** Text outside fenced code blocks and inline code, where a bracket is not a link. */
function prose(markdown: string): string {
  return markdown.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '')
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, -1 on repeats. */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>()
  const result = new Set<string>()
  for (const [, text] of prose(markdown).matchAll(/^#{1,6}[ \t]+(.+?)[ \t#]*$/gm)) {
    const base = (text as string)
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\p{M} _-]/gu, '')
      .replace(/ /g, '-')
    const count = seen.get(base) ?? 0
    seen.set(base, count + 1)
    result.add(count === 0 ? base : `${base}-${count}`)
  }
  return result
}

/** Every relative link of one page that does not lead to an existing file and heading. */
function brokenLinks(file: string, markdown: string): string[] {
  const broken: string[] = []
  for (const [, target] of prose(markdown).matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?[^)]*\)/g)) {
    const link = target as string
    if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue // http:, https:, mailto:
    const [path = '', anchor] = link.split('#')
    const targetFile = path === '' ? file : join(dirname(file), decodeURIComponent(path))
    if (!existsSync(targetFile)) {
      broken.push(`${link} (no file ${relative(ROOT, targetFile)})`)
      continue
    }
    if (anchor !== undefined && !anchors(readFileSync(targetFile, 'utf8')).has(anchor)) {
      broken.push(`${link} (no heading #${anchor} in ${relative(ROOT, targetFile)})`)
    }
  }
  return broken
}

describe('README.md and docs/', () => {
  it.each(PAGES.map((file) => [relative(ROOT, file), file]))(
    '%s links only to files and headings that exist',
    (_name, file) => {
      expect(brokenLinks(file, readFileSync(file, 'utf8'))).toEqual([])
    },
  )

  it(`README.md stays a front page of at most ${README_LINE_BUDGET} lines`, () => {
    const lines = readFileSync(join(ROOT, 'README.md'), 'utf8').trimEnd().split('\n').length
    expect(lines).toBeLessThanOrEqual(README_LINE_BUDGET)
  })

  it('README.md links every page in docs/', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const unlinked = PAGES.map((file) => relative(ROOT, file))
      .filter((page) => page.startsWith('docs/'))
      .filter((page) => !readme.includes(`](${page}`))
    expect(unlinked).toEqual([])
  })

  it('finds a planted broken file link, anchor and image', () => {
    const readme = join(ROOT, 'README.md')
    const planted = [
      'See [ops](docs/operation.md), [api](docs/api.md#no-such-heading),',
      '[here](#nowhere) and ![x](docs/screenshots/missing.png).',
      'Ignored: `[code](docs/none.md)`, [web](https://example.com/x#y).',
      '',
      '```',
      '[fenced](docs/none.md)',
      '```',
    ].join('\n')
    expect(brokenLinks(readme, planted)).toEqual([
      'docs/operation.md (no file docs/operation.md)',
      'docs/api.md#no-such-heading (no heading #no-such-heading in docs/api.md)',
      '#nowhere (no heading #nowhere in README.md)',
      'docs/screenshots/missing.png (no file docs/screenshots/missing.png)',
    ])
  })

  it('makes anchors the way GitHub does', () => {
    expect([
      ...anchors(
        '# Security: brute force, abuse, secrets\n## Input that is refused, and why\n## Roles\n## Roles',
      ),
    ]).toEqual([
      'security-brute-force-abuse-secrets',
      'input-that-is-refused-and-why',
      'roles',
      'roles-1',
    ])
  })
})
