import { Type } from 'typebox'
import {
  bool,
  type ConnectionTypeDef,
  host,
  list,
  port,
  requiredWhen,
  secret,
  stringMap,
  text,
} from './definition.ts'
import { lower, orDefault } from './targets.ts'

const opt = Type.Optional

export const email: ConnectionTypeDef = {
  type: 'email',
  fields: {
    host: host(),
    port: opt(port()),
    enableStartTls: opt(bool()),
    auth: opt(bool()),
    username: opt(text(320)),
    password: opt(secret(1024)),
    defaultEncoding: opt(text(64)),
    addressToTest: opt(text(320)),
    from: opt(text(320)),
    additionalProperties: opt(list(stringMap(), 100)),
  },
  // The port is part of where mail goes; an omitted port is the documented default.
  target: { host: lower, port: orDefault(587) },
  check: (body) =>
    requiredWhen(body, body.auth === true, 'when auth is true', 'username', 'password'),
}
