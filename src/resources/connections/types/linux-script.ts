import { Type } from 'typebox'
import { type ConnectionTypeDef, host, port, required, requiredWhen, secret } from './definition.ts'
import { lower, orDefault } from './targets.ts'

export const linuxScript: ConnectionTypeDef = {
  type: 'linux-script',
  fields: {
    hostName: host(),
    sshPort: Type.Optional(port()),
    username: required(256),
    password: Type.Optional(secret(1024)),
  },
  target: { hostName: lower, sshPort: orDefault(22) },
  check: (body) => requiredWhen(body, true, '(SSH logs in with it)', 'password'),
}
