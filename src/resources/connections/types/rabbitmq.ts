import { Type } from 'typebox'
import {
  bool,
  type ConnectionTypeDef,
  host,
  int,
  list,
  millis,
  object,
  port,
  requiredWhen,
  secret,
  stringMap,
  text,
} from './definition.ts'
import { exact, hostList } from './targets.ts'

const opt = Type.Optional

export const rabbitMq: ConnectionTypeDef = {
  type: 'rabbitMq',
  fields: {
    hostPortList: list(object({ host: host(), port: opt(port()) }), 50, 1),
    connectionFactoryVirtualHost: opt(text(255)),
    authenticationEnabled: opt(bool()),
    connectionFactoryUsername: opt(text(256)),
    connectionFactoryPassword: opt(secret(1024)),
    connectionFactoryConnectionTimeout: opt(millis()),
    connectionFactoryClientProperties: opt(stringMap()),
    connectionFactoryRequestedChannelMax: opt(int(0, 65_535)),
    connectionFactoryRequestedFrameMax: opt(int(0, 2_147_483_647)),
    connectionFactoryRequestedHeartbeat: opt(int(0, 65_535)),
    connectionFactoryUseSslProtocol: opt(bool()),
    connectionFactorySslProtocol: opt(text(32)),
    channelExchange: opt(text(255)),
    channelRoutingKey: opt(text(255)),
    basicPropertiesAppId: opt(text(255)),
    basicPropertiesContentType: opt(text(255)),
    basicPropertiesContentEncoding: opt(text(64)),
    basicPropertiesDeliveryMode: opt(int(1, 2, { description: '1 non-persistent, 2 persistent' })),
    basicPropertiesPriority: opt(int(0, 255)),
    basicPropertiesReplyTo: opt(text(255)),
    basicPropertiesExpiration: opt(text(32)),
    basicPropertiesType: opt(text(255)),
    basicPropertiesUserId: opt(text(255)),
    basicPropertiesClusterId: opt(text(255)),
  },
  // The virtual host is part of the target: credentials are per vhost on a shared broker.
  target: { hostPortList: hostList({ port: 5672 }), connectionFactoryVirtualHost: exact },
  check: (body) =>
    requiredWhen(
      body,
      body.authenticationEnabled === true,
      'when authenticationEnabled is true',
      'connectionFactoryUsername',
      'connectionFactoryPassword',
    ),
}
