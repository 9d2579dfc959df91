import { Type } from 'typebox'
import { FreeText } from '../../../../http/schemas.ts'
import { Method, strict } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Flag, list, optional, systemManaged, Text } from './shared-b.ts'

/** One SOAP operation as REST, as the list example shows it. */
const ApiMethod = Type.Object(
  {
    id: optional(Text(100)),
    name: Text(200),
    description: optional(FreeText(1000)),
    active: Flag,
    httpMethod: Method,
    backendResourceUrl: Text(2048),
    backendHttpMethod: Method,
  },
  strict,
)

/**
 * Created with the proxy when its SOAP-to-REST transformation is on, and documented as
 * neither addable, deletable nor (yet) updatable through the API: only listed, with
 * the operations it maps. The check refuses it in any body.
 */
export const responseProtocolTransformation: PolicyTypeDefinition = {
  type: 'policy-response-protocol-transformation',
  label: 'SOAP-to-REST response transformation',
  fields: { apiMethodList: optional(list(ApiMethod, 1000)) },
  check: systemManaged,
}
