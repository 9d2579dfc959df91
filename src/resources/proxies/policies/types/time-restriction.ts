import { Type } from 'typebox'
import { FreeText, matching } from '../../../../http/schemas.ts'
import { enumOf, strict } from '../../settings/settings.fields.ts'
import type { PolicyIssue, PolicyTypeDefinition } from './definition.ts'
import { Flag, flag, isObject, list, need, optional, Text } from './shared-b.ts'

const WEEK_DAYS = [
  'MONDAY',
  'TUESDAY',
  'WEDNESDAY',
  'THURSDAY',
  'FRIDAY',
  'SATURDAY',
  'SUNDAY',
  'ALL',
] as const
/** The ranges the page gives (24 and 60 included, as documented). */
const upTo = (maximum: number) => optional(Type.Integer({ minimum: 0, maximum }))
const START = ['startHour', 'startMinute', 'startSecond'] as const
const END = ['endHour', 'endMinute', 'endSecond'] as const

const Restriction = Type.Object(
  {
    hourName: optional(Text(200)),
    description: optional(FreeText(1000)),
    dayType: enumOf(['WEEK', 'CUSTOM']),
    enumWeekDayList: optional(Type.Array(enumOf(WEEK_DAYS), { maxItems: 8, uniqueItems: true })),
    day: upTo(31),
    month: upTo(12),
    wholeDay: Flag,
    startHour: upTo(24),
    startMinute: upTo(60),
    startSecond: upTo(60),
    endHour: upTo(24),
    endMinute: upTo(60),
    endSecond: upTo(60),
  },
  strict,
)

/** A Java ZoneId: an offset (+03:00) or a region name (Europe/Istanbul, UTC). */
const ZoneId = Type.String({
  minLength: 1,
  maxLength: 64,
  ...matching(
    '^([+-]\\d{2}:\\d{2}|Z|[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*)$',
    'must be a time zone: an offset such as +03:00 or a name such as Europe/Istanbul',
  ),
})

const seconds = (rule: Readonly<Record<string, unknown>>, keys: readonly string[]) =>
  keys.reduce((total, key) => total * 60 + Number(rule[key]), 0)

function restrictionIssues(rule: unknown, path: string): PolicyIssue[] {
  if (!isObject(rule)) return []
  const timed = !flag(rule, 'wholeDay', false)
  const issues = [
    ...need(rule, path, 'enumWeekDayList', rule.dayType === 'WEEK', 'dayType is WEEK'),
    ...need(rule, path, 'day', rule.dayType === 'CUSTOM', 'dayType is CUSTOM'),
    ...need(rule, path, 'month', rule.dayType === 'CUSTOM', 'dayType is CUSTOM'),
    ...[...START, ...END].flatMap((key) =>
      need(rule, path, key, timed, 'wholeDay is false (the default)'),
    ),
  ]
  if (timed && issues.length === 0 && seconds(rule, START) >= seconds(rule, END)) {
    issues.push({ field: `${path}.endHour`, message: 'the end time must be after the start time' })
  }
  return issues
}

export const timeRestriction: PolicyTypeDefinition = {
  type: 'policy-time-restriction',
  label: 'Time restriction',
  fields: {
    actionType: enumOf(['ALLOW', 'RESTRICT']),
    zoneId: optional(ZoneId),
    restrictionList: list(Restriction, 100, 1),
  },
  check: (policy) =>
    (Array.isArray(policy.restrictionList) ? policy.restrictionList : []).flatMap((rule, index) =>
      restrictionIssues(rule, `policy.restrictionList.${index}`),
    ),
}
