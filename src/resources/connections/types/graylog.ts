import { Type } from 'typebox'
import {
  blob,
  bool,
  type ConnectionTypeDef,
  host,
  int,
  millis,
  oneOf,
  port,
  text,
} from './definition.ts'
import { exact, lower, orDefault } from './targets.ts'

const opt = Type.Optional

const GELF_LEVELS = [
  'EMERGENCY',
  'ALERT',
  'CRITICAL',
  'ERROR',
  'WARNING',
  'NOTICE',
  'INFO',
  'DEBUG',
] as const

export const graylog: ConnectionTypeDef = {
  type: 'graylog',
  fields: {
    hostname: host(),
    port: opt(port()),
    transportType: opt(oneOf(['TCP', 'UDP'])),
    tlsEnabled: opt(bool()),
    tlsCertVerificationEnabled: opt(bool()),
    compressionType: opt(oneOf(['NONE', 'GZIP', 'ZLIB'])),
    gelfMessageLevel: opt(oneOf(GELF_LEVELS)),
    queueSize: opt(int(0, 1_000_000)),
    reconnectDelay: opt(millis()),
    connectTimeout: opt(millis()),
    tcpNoDelay: opt(bool()),
    tcpKeepAlive: opt(bool()),
    sendBufferSize: opt(int(-1, 1_073_741_824)),
    maxInflightSends: opt(int(0, 1_000_000)),
    threads: opt(int(0, 1024)),
    tlsTrustCertChainFile: opt(blob(1_048_576, 'Base64 of the CA chain')),
    tlsTrustCertChainFileName: opt(text(255)),
    appendToAttributes: opt(bool()),
    appendToMessage: opt(bool()),
  },
  target: { hostname: lower, port: orDefault(12201), transportType: exact },
}
