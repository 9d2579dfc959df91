/** Where the API lives, and the documents about it that are open to anyone. */
export const API_PREFIX = '/apiops/'
export const OPENAPI_PREFIX = '/apiops/openapi'
