import { Type } from 'typebox'
import {
  bool,
  type ConnectionTypeDef,
  host,
  int,
  issue,
  millis,
  oneOf,
  port,
  required,
  requiredWhen,
  secret,
  text,
} from './definition.ts'
import { exact, lower, orDefault } from './targets.ts'

const opt = Type.Optional

export const ftp: ConnectionTypeDef = {
  type: 'ftp',
  fields: {
    host: host(),
    port: opt(port()),
    username: required(256),
    password: opt(secret(1024)),
    workingDir: opt(text(1024)),
    protocol: oneOf(['FTP', 'SFTP', 'FTPS'], { nullable: false }),
    timeout: opt(millis()),
    retryCount: opt(int(0, 100)),
    useImplicit: opt(bool()),
    useExplicit: opt(bool()),
    sslProtocol: opt(text(32)),
  },
  target: { host: lower, port: orDefault(21), protocol: exact },
  check: (body) => [
    ...requiredWhen(body, true, '(the server needs it to log in)', 'password'),
    ...(body.useImplicit === true && body.useExplicit === true
      ? [issue('useExplicit', 'cannot be true together with useImplicit')]
      : []),
  ],
}
