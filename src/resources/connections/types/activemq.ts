import { Type } from 'typebox'
import {
  type ConnectionTypeDef,
  int,
  millis,
  noPasswordInUrl,
  oneOf,
  required,
  secret,
  text,
} from './definition.ts'
import { urlTarget } from './targets.ts'

const opt = Type.Optional

export const activeMq: ConnectionTypeDef = {
  type: 'activeMq',
  fields: {
    activeMqConnectionProtocolType: oneOf(['TCP', 'AMQP'], { nullable: false }),
    brokerURL: required(2048, 'e.g. tcp://broker:61616 or amqp://broker:5672'),
    username: opt(text(256)),
    password: opt(secret(1024)),
    destinationType: oneOf(['QUEUE', 'TOPIC'], { nullable: false }),
    destinationName: required(512),
    sessionAcknowledgement: opt(
      oneOf([
        'AUTO_ACKNOWLEDGE',
        'CLIENT_ACKNOWLEDGE',
        'DUPS_OK_ACKNOWLEDGE',
        'SESSION_TRANSACTED',
      ]),
    ),
    sendTimeout: opt(millis()),
    requestTimeout: opt(millis()),
    closeTimeout: opt(millis()),
    connectTimeout: opt(millis()),
    contentType: opt(text(255)),
    clientID: opt(text(255)),
    contentEncoding: opt(text(64)),
    priority: opt(int(0, 9)),
  },
  target: { brokerURL: urlTarget(false) },
  check: (body) => noPasswordInUrl(body, 'brokerURL'),
}
