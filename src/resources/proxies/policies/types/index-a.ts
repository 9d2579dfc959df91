import { apiAuthentication } from './api-authentication.ts'
import { apiBasedQuota } from './api-based-quota.ts'
import { apiBasedThrottling } from './api-based-throttling.ts'
import { apiCall } from './api-call.ts'
import { authBasic } from './auth-basic.ts'
import { authClearText } from './auth-clear-text.ts'
import { authDigest } from './auth-digest.ts'
import { authJwt } from './auth-jwt.ts'
import { authMtls } from './auth-mtls.ts'
import { authOauth2 } from './auth-oauth2.ts'
import { blackIp } from './black-ip.ts'
import { businessRule } from './business-rule.ts'
import { clientBan } from './client-ban.ts'
import { contentFilter } from './content-filter.ts'
import { decryption } from './decryption.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { digitalSign } from './digital-sign.ts'
import { digitalSignVerification } from './digital-sign-verification.ts'
import { encryption } from './encryption.ts'

/** Types policy-api-authentication ... policy-encryption, one file each beside this one. */
export const POLICY_TYPES_A: readonly PolicyTypeDefinition[] = [
  apiAuthentication,
  apiBasedQuota,
  apiBasedThrottling,
  apiCall,
  authBasic,
  authClearText,
  authDigest,
  authJwt,
  authMtls,
  authOauth2,
  blackIp,
  businessRule,
  clientBan,
  contentFilter,
  decryption,
  digitalSignVerification,
  digitalSign,
  encryption,
]
