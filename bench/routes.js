// The routes every server under test answers. Plain JavaScript: the servers run it
// without a TypeScript loader (bench/server.js), the bench imports it through protocol.ts.

/** The one route every server answers, in the same shape. */
export const HELLO_ROUTE = '/apiops/test/hello/:name'
export const HELLO_PATH = '/apiops/test/hello/John'
/**
 * The same route, handler and schema on the apiops server, marked public: what the
 * authenticated route costs without authentication, in an identical server.
 */
export const OPEN_HELLO_ROUTE = '/apiops/test/open-hello/:name'
export const OPEN_HELLO_PATH = '/apiops/test/open-hello/John'
export const HELLO_BODY = 'Hello John'
