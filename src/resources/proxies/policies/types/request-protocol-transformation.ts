import type { PolicyTypeDefinition } from './definition.ts'
import { systemManaged } from './shared-b.ts'

/**
 * Created with the proxy when its SOAP-to-REST transformation is on, and documented as
 * neither addable, deletable nor (yet) updatable through the API: only listed. Its
 * listed shape has no fields of its own; the check refuses it in any body.
 */
export const requestProtocolTransformation: PolicyTypeDefinition = {
  type: 'policy-request-protocol-transformation',
  label: 'REST-to-SOAP request transformation',
  fields: {},
  check: systemManaged,
}
