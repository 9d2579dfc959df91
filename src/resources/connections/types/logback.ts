import { type ConnectionTypeDef, int, required, text } from './definition.ts'

export const logback: ConnectionTypeDef = {
  type: 'logback',
  fields: {
    logPath: required(1024, 'Directory of the log files'),
    logFileName: required(255),
    logPodName: text(255, { nullable: false, description: 'Empty: the host name' }),
    logFilenamePattern: required(255),
    logPattern: required(1024),
    maxFileSize: int(1, 1_000_000, { nullable: false, description: 'MB' }),
    maxHistory: int(0, 1_000_000, { nullable: false, description: '0: unbounded' }),
    totalSizeCap: int(0, 1_000_000, { nullable: false, description: 'GB; 0: unbounded' }),
  },
  // Nothing secret: the files stay on the worker.
  target: {},
}
