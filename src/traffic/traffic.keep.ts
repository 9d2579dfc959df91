/*
 * What a proxy's traffic-log setting (PATCH .../settings/traffic-log/) keeps of a request
 * in a given environment. A pure function of the stored setting, so a gateway computes it
 * once per deployed snapshot and environment, never per request.
 */

/** The stored traffic-log setting, as resources/proxies/settings keeps it. */
export interface TrafficLogSetting {
  enabledTraceLog: boolean | null
  enabledApplicationLog: boolean | null
  apiProxyTrafficLogSettingsList:
    | readonly ({ environmentName: string } & Partial<
        Record<TrafficLogFlag, boolean | null | undefined>
      >)[]
    | null
}

const PART_FLAGS = [
  'logParamRequestFromClient',
  'logHeaderRequestFromClient',
  'logBodyRequestFromClient',
  'logParamRequestToTarget',
  'logHeaderRequestToTarget',
  'logBodyRequestToTarget',
  'logHeaderResponseFromTarget',
  'logBodyResponseFromTarget',
  'logHeaderResponseToClient',
  'logBodyResponseToClient',
] as const
const CONNECTOR_FLAGS = {
  enableDatabaseConnector: 'database',
  enableElasticsearchConnector: 'elasticsearch',
  enableSyslogConnector: 'syslog',
  enableWebhookConnector: 'webhook',
  enableRabbitMqConnector: 'rabbitmq',
  enableActiveMqConnector: 'activemq',
  enableKafkaConnector: 'kafka',
  enableGraylogConnector: 'graylog',
  enableLogbackConnector: 'logback',
} as const
type PartFlag = (typeof PART_FLAGS)[number]
type TrafficLogFlag = PartFlag | keyof typeof CONNECTOR_FLAGS

export interface TrafficKeep {
  /**
   * The traffic row itself (time, status, latency, bytes, addresses): always kept, it is
   * what reports and the proxy page read, and holds no message content.
   */
  row: true
  /** The credential's username: it was read from the client's request headers. */
  credential: boolean
  /** Which message parts a content log may hold (the documented flags, default true). */
  parts: Record<PartFlag, boolean>
  /** Log exports the environment's entry turns on (documented default: none). */
  connectors: (typeof CONNECTOR_FLAGS)[keyof typeof CONNECTOR_FLAGS][]
  traceLog: boolean
  applicationLog: boolean
}

/**
 * What to keep for `environmentName`. An environment without an entry in the list gets
 * the documented defaults (every part kept, no connector); an entry's omitted flag does
 * too.
 */
export function trafficKeep(
  setting: TrafficLogSetting | null | undefined,
  environmentName: string,
): TrafficKeep {
  const entry = setting?.apiProxyTrafficLogSettingsList?.find(
    (item) => item.environmentName === environmentName,
  )
  const parts = Object.fromEntries(
    PART_FLAGS.map((flag) => [flag, entry?.[flag] ?? true]),
  ) as Record<PartFlag, boolean>
  const connectors = Object.entries(CONNECTOR_FLAGS)
    .filter(([flag]) => entry?.[flag as TrafficLogFlag] === true)
    .map(([, name]) => name)
  return {
    row: true,
    credential: parts.logHeaderRequestFromClient,
    parts,
    connectors,
    traceLog: setting?.enabledTraceLog === true,
    applicationLog: setting?.enabledApplicationLog === true,
  }
}

/** The record as `keep` allows it to be stored. */
export function keptRecord<R extends { credential: string | null }>(
  record: R,
  keep: TrafficKeep,
): R {
  return keep.credential || record.credential === null ? record : { ...record, credential: null }
}
